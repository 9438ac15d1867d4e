package dev.emo.architecture;

import dev.emo.distributed.LocalSparkCluster;
import dev.emo.kernels.Simd;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * run.sh starts the JVM that is the Spark driver of `finetune --spark_master`: it must carry every
 * Java 17 option Spark's own launcher adds (Spark fails at start-up without them, e.g. sun.nio.ch
 * not exported), and the test JVM's (pom.xml, surefire's argLine) must as well. Both also add the
 * Vector API module for the host kernels, and run.sh drops the one warning line the JVM prints for it.
 */
class RunScriptTest {
    @Test
    void runShAndThePomCarrySparksJavaModuleOptions() throws Exception {
        String runSh = Files.readString(Path.of("run.sh")), pom = Files.readString(Path.of("pom.xml"));
        for (String option : LocalSparkCluster.javaModuleOptions()) {
            assertTrue(runSh.contains("  " + option + "\n"), "run.sh's SPARK_OPENS lacks " + option);
            assertTrue(pom.contains(option), "pom.xml's spark.java.options lacks " + option);
        }
    }

    private static final String WARNING = "WARNING: Using incubator modules: jdk.incubator.vector\n";

    @Test
    void runShAndThePomAddTheVectorApiAndRunShDropsOnlyItsWarning() throws Exception {
        String runSh = Files.readString(Path.of("run.sh")), pom = Files.readString(Path.of("pom.xml"));
        assertTrue(runSh.contains("exec java ") && runSh.contains(Simd.JVM_OPTION), "run.sh's java lacks " + Simd.JVM_OPTION);
        assertTrue(pom.contains("<argLine>") && pom.contains(Simd.JVM_OPTION), "surefire's argLine lacks " + Simd.JVM_OPTION);
        assertEquals("error: a.json: no such file; give one\n", stderrFilter(WARNING + "error: a.json: no such file; give one\n"));
        assertEquals("x\n" + WARNING, stderrFilter("x\n" + WARNING), "only a first line is dropped");
        assertEquals("", stderrFilter(""));
        assertEquals("no newline", stderrFilter("no newline"));
        assertEquals(" 10% ETA 3s\r 20% ETA 2s", stderrFilter(WARNING + " 10% ETA 3s\r 20% ETA 2s"), "a progress bar's unfinished line passes");
    }

    /** run.sh's drop_incubator_warning, taken out of the script, applied to a text. */
    private static String stderrFilter(String in) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", "source <(sed -n '/^drop_incubator_warning() {/,/^}/p' run.sh); drop_incubator_warning")
                .redirectErrorStream(true).start();
        try (var os = p.getOutputStream()) {
            os.write(in.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    /** run.sh with PATH holding only the tools it uses, plus {@code java} when given: its first line of stderr and exit code. */
    private static String[] runShWith(Path bin, String javaScript) throws Exception {
        Files.createDirectories(bin);
        for (String tool : new String[]{"bash", "sed", "head", "dirname", "mkdir", "cat", "find", "touch"}) {
            Path real = Path.of("/usr/bin", tool), link = bin.resolve(tool);
            if (!Files.exists(real)) real = Path.of("/bin", tool);
            if (Files.exists(real) && !Files.exists(link)) Files.createSymbolicLink(link, real);
        }
        if (javaScript != null) {
            Path java = Files.writeString(bin.resolve("java"), "#!/usr/bin/bash\n" + javaScript + "\n");
            java.toFile().setExecutable(true);
        }
        ProcessBuilder pb = new ProcessBuilder(bin.resolve("bash").toString(), "run.sh", "verify").redirectErrorStream(true);
        pb.environment().put("PATH", bin.toString());
        pb.environment().put("EMO_HOME", bin.resolveSibling("home").toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        return new String[]{Integer.toString(p.waitFor()), out.strip()};
    }

    /** Issue #21: with no java, or a Java older than 17, run.sh failed with a shell or JVM message. */
    @Test
    void runShSaysWhichJavaItNeeds(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        String[] r = runShWith(tmp.resolve("none"), null);
        assertEquals("2", r[0], r[1]);
        assertTrue(r[1].startsWith("error: java: not found; install a JDK 17+") && r[1].lines().count() == 1, r[1]);
        r = runShWith(tmp.resolve("old"), "echo 'openjdk version \"11.0.22\" 2024-01-16' >&2");
        assertEquals("2", r[0], r[1]);
        assertTrue(r[1].contains("Java 11, this application needs 17 or newer") && r[1].lines().count() == 1, r[1]);
        r = runShWith(tmp.resolve("eight"), "echo 'java version \"1.8.0_402\"' >&2");
        assertTrue(r[1].contains("Java 8, this application needs 17 or newer"), r[1]);
    }

    @Test
    void runShAndThePomSendCrashReportsToEmoHomeAndTurnOrtTelemetryOff() throws Exception {
        String runSh = Files.readString(Path.of("run.sh")), pom = Files.readString(Path.of("pom.xml"));
        assertTrue(runSh.contains("-XX:ErrorFile=\"$EMO_HOME/crash/hs_err_pid%p.log\"") && runSh.contains("mkdir -p \"$EMO_HOME/crash\""), "run.sh");
        assertTrue(runSh.contains("export ORT_DISABLE_TELEMETRY=") && pom.contains("<ORT_DISABLE_TELEMETRY>1</ORT_DISABLE_TELEMETRY>"), "telemetry off");
        assertTrue(pom.contains("-XX:ErrorFile=${emo.home}/crash/hs_err_pid%p.log"), "surefire's argLine");
    }
}
