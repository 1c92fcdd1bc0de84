# Sourced by calibrate-minilm.sh and finetune-minilm.sh (with root, work and name set): checks the
# fetched model and tokenizer, defines `timed`, and sets `sources` to the texts from outside the
# evaluation split (the apt package lists and their English descriptions, decompressed once into
# $work, the dpkg status, man pages).
model=$root/.cache/models/all-minilm-l6-v2.onnx tok=$root/.cache/models/all-minilm-l6-v2-tokenizer.json
for f in "$model" "$tok"; do [ -f "$f" ] || { echo "$name: $f is missing; run scripts/fetch-models.sh" >&2; exit 1; }; done
command -v lz4cat >/dev/null || { echo "$name: lz4cat is missing (it decompresses the apt package lists)" >&2; exit 1; }
mkdir -p "$work"
timed() { if [ -x /usr/bin/time ]; then /usr/bin/time -f "$name: %e s wall, %U s user CPU, %S s system CPU, %M KB peak" "$@"; else "$@"; fi; }

packages=$work/apt-packages.txt
if [ ! -s "$packages" ]; then
    for f in /var/lib/apt/lists/*_Packages.lz4; do lz4cat "$f"; echo; done > "$packages"
    [ -s "$packages" ] || { echo "$name: no apt package lists in /var/lib/apt/lists (run apt-get update)" >&2; exit 1; }
fi
sources=$packages,/var/lib/dpkg/status
# Debian's long descriptions of every package (Translation-en), where apt fetched them:
# `apt-get -o Acquire::Languages=en update` does (Debian's Docker images turn them off).
translations=$work/apt-translations-en.txt
if [ ! -s "$translations" ] && compgen -G "/var/lib/apt/lists/*_i18n_Translation-en.lz4" >/dev/null; then
    for f in /var/lib/apt/lists/*_i18n_Translation-en.lz4; do lz4cat "$f"; echo; done > "$translations"
fi
if [ -s "$translations" ]; then sources=$sources,$translations
else echo "$name: no Translation-en lists: long texts come from the dpkg status and man pages only (apt-get -o Acquire::Languages=en update adds them)" >&2; fi
for d in /usr/share/man/man1 /usr/share/man/man2 /usr/share/man/man3 /usr/share/man/man5 /usr/share/man/man7 /usr/share/man/man8; do
    [ -d "$d" ] && sources=$sources,$d
done
