package dev.emo.architecture;

import dev.emo.distributed.LocalSparkCluster;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * run.sh starts the JVM that is the Spark driver of `finetune --spark_master`: it must carry every
 * Java 17 option Spark's own launcher adds (Spark fails at start-up without them, e.g. sun.nio.ch
 * not exported), and the test JVM's (pom.xml, surefire's argLine) must as well.
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
}
