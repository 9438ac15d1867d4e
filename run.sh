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

# Java 17 or newer (the Vector API, records, Spark's module flags); said in one line, not as a shell or JVM error.
install_hint="install a JDK 17+ (e.g. apt-get install openjdk-17-jdk, or https://adoptium.net) and put its bin/ on PATH or set JAVA_HOME"
if ! command -v java >/dev/null 2>&1; then
  echo "error: java: not found; $install_hint" >&2; exit 2
fi
java_version="$(java -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\)[."].*/\1/p' | head -1)"
if [[ "$java_version" == "1" ]]; then java_version=8; fi   # "1.8.0_x" is Java 8
if [[ -z "$java_version" || "$java_version" -lt 17 ]]; then
  echo "error: $(command -v java): Java ${java_version:-of unknown version}, this application needs 17 or newer; $install_hint" >&2; exit 2
fi
need_maven() {
  command -v mvn >/dev/null 2>&1 && return 0
  echo "error: mvn: not found (Maven builds the application); install Maven 3.6+ (e.g. apt-get install maven, or https://maven.apache.org/download.cgi) and put it on PATH" >&2
  exit 2
}

# What the application keeps (caches, downloads, ONNX Runtime's libraries, crash reports): EmoHome.java's default.
export EMO_HOME="${EMO_HOME:-$HOME/.cache/emo-dl4j}"
mkdir -p "$EMO_HOME/crash"
# ONNX Runtime's telemetry writes ~/.cache/Microsoft/DeveloperTools/.onnxruntime/ and /tmp/mat-debug-<pid>.log; only
# this variable, read when the process starts, stops it (the pom sets it for the test JVMs too).
export ORT_DISABLE_TELEMETRY="${ORT_DISABLE_TELEMETRY:-1}"

if [[ "${1:-}" == "test" ]]; then
  need_maven
  shift
  if [[ "${1:-}" == "--fast" ]]; then   # the inner loop: everything but the tests tagged slow (end-to-end runs)
    shift
    exec mvn -B -f "$ROOT/pom.xml" test -Demo.home="$EMO_HOME" -DexcludedGroups=slow "$@"
  fi
  exec mvn -B -f "$ROOT/pom.xml" test -Demo.home="$EMO_HOME" "$@"
fi

STAMP="$ROOT/target/.built"
CP_FILE="$ROOT/target/classpath.txt"
needs_build() {
  [[ ! -f "$STAMP" || ! -f "$CP_FILE" ]] && return 0
  [[ -n "$(find "$ROOT/src/main" "$ROOT/pom.xml" -newer "$STAMP" -print -quit)" ]]
}
if needs_build; then
  need_maven
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
# -XX:ErrorFile: a crash report goes to $EMO_HOME/crash/, not into the folder the command was started from.
exec java -Xss4m ${EMO_JAVA_OPTS:--Xmx6g} -XX:ErrorFile="$EMO_HOME/crash/hs_err_pid%p.log" --add-modules=jdk.incubator.vector "${SPARK_OPENS[@]}" \
  -Dorg.bytedeco.javacpp.maxphysicalbytes="${EMO_MAX_RAM:-0}" -Dorg.bytedeco.javacpp.maxbytes=0 \
  -cp "$ROOT/target/classes:$(cat "$CP_FILE")" dev.emo.cli.Main "$@" 2> >(drop_incubator_warning >&2)
