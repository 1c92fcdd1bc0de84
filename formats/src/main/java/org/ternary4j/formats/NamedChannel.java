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

    private interface Io<T> {
        T call() throws IOException;
    }

    /** Runs one call on the underlying channel, its I/O error renamed after the output. */
    private <T> T io(Io<T> call) throws IOException {
        try {
            return call.call();
        } catch (IOException e) {
            throw named(e);
        }
    }

    private IOException named(IOException e) {
        if (e instanceof FileSystemException || (e.getMessage() != null && e.getMessage().startsWith(target.toString()))) return e;
        return new IOException(target + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()), e);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return io(() -> channel.read(dst));
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return io(() -> channel.read(dsts, offset, length));
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return io(() -> channel.write(src));
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return io(() -> channel.write(srcs, offset, length));
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
        io(() -> {
            channel.force(metaData);
            return null;
        });
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return io(() -> channel.transferTo(position, count, target));
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        return io(() -> channel.transferFrom(src, position, count));
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return io(() -> channel.read(dst, position));
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        return io(() -> channel.write(src, position));
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
