# Sourced by the launcher, run-tests and .ci/run: exports JAVA_HOME for JDK 25 or stops with a clear message.
t4j_find_jdk() {
  local c
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25* /usr/lib/jvm/*-25* /usr/lib/jvm/jdk-25*; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] || continue
    # The release file says the version without starting a JVM (a tenth of a CPU-second each launch).
    if [ -f "$c/release" ]; then grep -q '^JAVA_VERSION="25' "$c/release" || continue
    elif ! "$c/bin/java" -version 2>&1 | grep -q 'version "25'; then continue; fi
    export JAVA_HOME="$c"; return 0
  done
  echo "ternary4j: JDK 25 not found. Set JAVA_HOME to a JDK 25 (e.g. Temurin 25) or install one under /usr/lib/jvm." >&2
  return 1
}
t4j_find_jdk || exit 1
export PATH="$JAVA_HOME/bin:$PATH"
if ! command -v mvn >/dev/null 2>&1; then
  echo "ternary4j: Maven (mvn) not found; install it (Debian: apt-get install maven)." >&2
  exit 1
fi
