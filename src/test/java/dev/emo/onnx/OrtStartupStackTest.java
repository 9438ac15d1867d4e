package dev.emo.onnx;

import ai.onnxruntime.OrtEnvironment;
import dev.emo.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * ONNX Runtime 1.29's start-up with its telemetry on (the default outside run.sh and our test JVMs)
 * reads the process's command line and uses thread stack in proportion to its length (a 4,000-character
 * argument is enough on a 1 MB stack; our class path is 15,000): it segfaults, exit 139, without a crash
 * report. {@link Ort#environment} starts it on a thread of its own with a large stack, so a user's JVM
 * works whatever -Xss it has. Each case is a child JVM with the default 1 MB stack, telemetry on, HOME
 * and the temp directory pointed at empty folders (telemetry writes there), and a command line padded
 * to {@link #PADDING} characters so the overflow does not hang on how long this machine's paths are.
 *
 * <p>Telemetry does not start everywhere (CI's machine ran the direct case without a crash): where the
 * child's HOME holds no telemetry database afterwards, the upstream check is skipped and says why.
 */
class OrtStartupStackTest {
    @TempDir
    Path tmp;

    /** Started in the child JVM: "direct" calls ORT on the main thread, anything else goes through {@link Ort}. */
    public static void main(String[] args) {
        OrtEnvironment env = args.length > 0 && args[0].equals("direct") ? OrtEnvironment.getEnvironment() : Ort.environment();
        System.out.println(env != null ? "started" : "no environment");
    }

    /** Characters of padding on the child's command line: 8 times what overflows 1 MB here, far below what 64 MB holds. */
    private static final int PADDING = 32_768;

    private Path home(String how) {
        return tmp.resolve(how + "-home");
    }

    private int child(String how) throws IOException, InterruptedException {
        Path home = Files.createDirectories(home(how)), temp = Files.createDirectories(tmp.resolve(how + "-tmp"));
        List<String> cmd = ChildJvm.java();
        cmd.remove("-Xss4m");
        cmd.addAll(List.of("-Xss1m", "-Demo.padding=" + "x".repeat(PADDING), "-Djava.io.tmpdir=" + temp, "-cp", System.getProperty("java.class.path"),
                OrtStartupStackTest.class.getName(), how));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().remove("ORT_DISABLE_TELEMETRY");
        pb.environment().putAll(Map.of("HOME", home.toString(), "TMPDIR", temp.toString(), "EMO_HOME", tmp.resolve("emo-home").toString()));
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    @Test
    void theApplicationsWayStartsOnADefaultStack() throws Exception {
        assertEquals(0, child("via-Ort"), "Ort.environment() on a 1 MB main thread, telemetry on");
    }

    @Test
    void upstreamStillNeedsTheLargeStack() throws Exception {
        assertEquals(0, child("witness"), "Ort.environment() on a 1 MB main thread, telemetry on");
        Path database = home("witness").resolve(".cache/Microsoft/DeveloperTools/.onnxruntime/onnxruntime.db");
        assumeTrue(Files.exists(database), "ORT's telemetry did not start on this machine (no " + database.getFileName()
                + " under the child's HOME): the overflow it causes cannot be observed here");
        // When this fails (exit 0), ORT no longer overflows a 1 MB stack: Ort's start-up thread can go.
        assertEquals(139, child("direct"), "OrtEnvironment.getEnvironment() on a 1 MB main thread, telemetry on");
    }
}
