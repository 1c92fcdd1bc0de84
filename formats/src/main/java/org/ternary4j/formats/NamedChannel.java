package org.ternary4j.formats;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Path;

/**
 * An output's channel whose I/O errors name the output: the JDK reports a full disk as a bare
 * "No space left on device", which tells a user of a command writing three files nothing.
 */
final class NamedChannel extends FileChannel {
    private final FileChannel channel;
    private final Path target;

    NamedChannel(FileChannel channel, Path target) {
        this.channel = channel;
        this.target = target;
    }

    private IOException named(IOException e) {
        if (e instanceof FileSystemException || (e.getMessage() != null && e.getMessage().startsWith(target.toString()))) return e;
        return new IOException(target + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()), e);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        try {
            return channel.read(dst);
        } catch (IOException e) {
            throw named(e);
        }
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        try {
            return channel.read(dsts, offset, length);
        } catch (IOException e) {
            throw named(e);
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        try {
            return channel.write(src);
        } catch (IOException e) {
            throw named(e);
        }
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        try {
            return channel.write(srcs, offset, length);
        } catch (IOException e) {
            throw named(e);
        }
    }

    @Override
    public long position() throws IOException {
        return channel.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        channel.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return channel.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        channel.truncate(size);
        return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        try {
            channel.force(metaData);
        } catch (IOException e) {
            throw named(e);
        }
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        try {
            return channel.transferTo(position, count, target);
        } catch (IOException e) {
            throw named(e);
        }
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        try {
            return channel.transferFrom(src, position, count);
        } catch (IOException e) {
            throw named(e);
        }
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        try {
            return channel.read(dst, position);
        } catch (IOException e) {
            throw named(e);
        }
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        try {
            return channel.write(src, position);
        } catch (IOException e) {
            throw named(e);
        }
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        return channel.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return channel.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return channel.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        channel.close();
    }
}
