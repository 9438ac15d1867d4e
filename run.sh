#!/usr/bin/env bash
# Builds the application when needed (first use, or sources changed) and runs a subcommand.
#   ./run.sh test            the test suite (what CI runs)
#   ./run.sh test --fast     the same without the tests tagged slow (under 2 minutes)
#   ./run.sh <command> ...   verify, generate, ... (./run.sh --help lists them)
# Fixtures/data are read from $EMO_SHARED (default: ../shared beside this folder).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MVN=(mvn -B -q -f "$ROOT/pom.xml")
[[ -n "${EMO_MAVEN_PROFILE:-}" ]] && MVN+=(-P "$EMO_MAVEN_PROFILE")

if [[ "${1:-}" == "test" ]]; then
  shift
  if [[ "${1:-}" == "--fast" ]]; then   # the inner loop: everything but the tests tagged slow (end-to-end runs)
    shift
    exec mvn -B -f "$ROOT/pom.xml" test -DexcludedGroups=slow "$@"
  fi
  exec mvn -B -f "$ROOT/pom.xml" test "$@"
fi

STAMP="$ROOT/target/.built"
CP_FILE="$ROOT/target/classpath.txt"
needs_build() {
  [[ ! -f "$STAMP" || ! -f "$CP_FILE" ]] && return 0
  [[ -n "$(find "$ROOT/src/main" "$ROOT/pom.xml" -newer "$STAMP" -print -quit)" ]]
}
if needs_build; then
  echo "building (first use or sources changed)..." >&2
  "${MVN[@]}" -DskipTests compile dependency:build-classpath -Dmdep.outputFile="$CP_FILE" >&2
  touch "$STAMP"
fi

export EMO_SHARED="${EMO_SHARED:-$ROOT/../shared}"
# Two malloc arenas: measured fastest for SameDiff training here, with RSS flat across steps.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
# libnd4j's OpenMP threads otherwise spin after every op and compete with OpenBLAS's threads for the
# cores: passive waiting made decoding ~2x and training steps ~5-10 % faster on 2 cores.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
# Spark's --add-opens for Java 17 (what spark-submit adds; org.apache.spark.launcher.JavaModuleOptions), for
# finetune --spark_master, whose driver is this JVM. RunScriptTest checks the list against Spark's.
SPARK_OPENS=(
  -XX:+IgnoreUnrecognizedVMOptions
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED
  --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  --add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED
  -Djdk.reflect.useDirectMethodHandle=false
)
# The JVM prints "WARNING: Using incubator modules: jdk.incubator.vector" first on stderr, always; this drops
# that line (only that one, only first) and passes the rest through unbuffered, so that errors stay one line.
drop_incubator_warning() {
  local first
  if IFS= read -r first; then
    [[ "$first" == "WARNING: Using incubator modules: jdk.incubator.vector" ]] || printf '%s\n' "$first"
    cat
  else
    printf '%s' "$first"   # a single unfinished line
  fi
}
# -Xss: ONNX Runtime needs a larger thread stack with a long class path.
# --add-modules: the Vector API, for the host kernels' loops (about 5x faster than scalar Java on AVX2).
# JavaCPP's physical-memory cap counts freed-but-cached malloc memory too and stalls in GC near it,
# so it is off by default (EMO_MAX_RAM=20G sets one).
exec java -Xss4m ${EMO_JAVA_OPTS:--Xmx6g} --add-modules=jdk.incubator.vector "${SPARK_OPENS[@]}" \
  -Dorg.bytedeco.javacpp.maxphysicalbytes="${EMO_MAX_RAM:-0}" -Dorg.bytedeco.javacpp.maxbytes=0 \
  -cp "$ROOT/target/classes:$(cat "$CP_FILE")" dev.emo.cli.Main "$@" 2> >(drop_incubator_warning >&2)
