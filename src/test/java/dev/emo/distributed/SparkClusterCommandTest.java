package dev.emo.distributed;

import dev.emo.EmoHome;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `./run.sh spark-cluster start` leaves a Master and Workers running after the command ends; `stop` ends them. */
@Tag("slow")   // left out of ./run.sh test --fast
class SparkClusterCommandTest {
    private static String run(Path home, String... args) throws Exception {
        List<String> cmd = dev.emo.ChildJvm.java();
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.emo.cli.Main", "spark-cluster"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put(EmoHome.ENV, home.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void startLeavesAClusterRunningAndStopEndsIt(@TempDir Path home) throws Exception {
        String out = run(home, "start", "--workers", "2", "--worker_memory", "512m");
        String url = out.lines().filter(l -> l.startsWith("spark://")).findFirst().orElseThrow(() -> new AssertionError(out));
        int port = URI.create(url).getPort();
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            assertTrue(s.isConnected(), "the master accepts connections after the command ended");
        }
        String log = Files.readString(home.resolve("spark-cluster/logs/master.log"));
        assertEquals(2, log.lines().filter(l -> l.contains("Registering worker")).count(), "two workers registered");

        String stopped = run(home, "stop");
        assertTrue(stopped.contains("stopped 3 of 3"), stopped);
        assertFalse(Files.exists(home.resolve("spark-cluster/cluster.json")), "state removed");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        boolean closed = false;
        while (!closed && System.nanoTime() < deadline) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                Thread.sleep(200);
            } catch (java.io.IOException refused) {
                closed = true;
            }
        }
        assertTrue(closed, "the master is gone");
        assertThrows(AssertionError.class, () -> run(home, "stop"), "a second stop finds no cluster (exit 2)");
    }
}
