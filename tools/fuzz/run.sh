#!/usr/bin/env bash
# Coverage-guided fuzzing (Jazzer) of the file readers and of the server's request parser: each
# target must return or throw BadInputException for any input, within the heap the input justifies
# (src/test/java/sortedllama/FuzzInvariant.java).
#
#   tools/fuzz/run.sh [SECONDS] [TARGET...]
#
# Default: SECONDS=30 on each of the two targets, FileReadersFuzzTest#anyFile (every model and
# tokenizer reader: an input's first byte picks which) and RequestParserFuzzTest#anyRequest. CI runs
# them 25 s each; a longer run: tools/fuzz/run.sh 3600, or on one target:
# tools/fuzz/run.sh 3600 'FileReadersFuzzTest#anyFile'. Jazzer fuzzes one target per JVM.
#
# A finding fails the run and leaves the input in src/test/resources/sortedllama/<package>/<Class>Inputs/<target>/:
# fix the reader, commit the input, and plain `mvn test` replays it as a regression test from then on.
# The corpus a run grows is kept in .cifuzz-corpus/ (not committed), so the next run starts from it.
set -euo pipefail
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
cd "$(dirname "$0")/../.."
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=('FileReadersFuzzTest#anyFile' 'RequestParserFuzzTest#anyRequest')
[ -d target/test-classes/sortedllama ] || mvn -B -q -DskipTests test-compile
for t in "${targets[@]}"; do
    echo "fuzzing $t for ${seconds} s"
    # RegexInjection is off: a tokenizer.json's pre-tokenizer pattern is the file's to choose, and one
    # that does not compile is refused as bad input (PreTokenizer.compile)
    JAZZER_FUZZ=1 mvn -B -q ${MAVEN_OFFLINE:+-o} surefire:test -Dtest="$t" -Djazzer.max_duration="${seconds}s" -Djazzer.hooks=true \
        -Djazzer.disabled_hooks=com.code_intelligence.jazzer.sanitizers.RegexInjection
done
