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
}
