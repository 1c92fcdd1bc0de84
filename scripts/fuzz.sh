#!/usr/bin/env bash
# Coverage-guided fuzzing (Jazzer) of every file reader, SECONDS per target (default 600).
#   scripts/fuzz.sh            # 10 minutes per target
#   scripts/fuzz.sh 60 Npz     # one minute, only the targets whose class name contains "Npz"
# Findings are written as crash-* files next to the seeds in fuzz/src/test/resources/org/ternary4j/fuzz/*Inputs/
# and replayed by every later run (also by the default suite): fix the reader, rename the file to say what it is.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$root/scripts/jdk.sh"
seconds=${1:-600}
filter=${2:-}
cd "$root"
exec mvn -B -ntp -pl fuzz -am verify -Dfuzz.seconds="$seconds" -Dtest="org.ternary4j.fuzz.*${filter}*FuzzTest" -Dsurefire.failIfNoSpecifiedTests=false
