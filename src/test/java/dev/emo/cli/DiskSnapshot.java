package dev.emo.cli;

import dev.emo.util.Hashes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Every path under a folder with its content hash ("dir" for folders): equal snapshots, disk as it was. */
final class DiskSnapshot {
    private DiskSnapshot() {}

    static Map<String, String> of(Path root) throws IOException {
        Map<String, String> m = new TreeMap<>();
        if (!Files.exists(root)) return m;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                m.put(root.relativize(p).toString(), Files.isDirectory(p) ? "dir" : Hashes.sha256(p));
            }
        }
        return m;
    }

    /**
     * hs_err_pid*.log files a crashed JVM left in the working directory or in $EMO_HOME/crash (where
     * run.sh and the test JVMs send them), and ONNX Runtime's telemetry log of this JVM in the temp directory.
     */
    static long crashLogs() throws IOException {
        long n = 0;
        for (Path dir : new Path[]{Path.of("."), dev.emo.EmoHome.crashDir()}) {
            if (!Files.isDirectory(dir)) continue;
            try (Stream<Path> s = Files.list(dir)) {
                n += s.filter(p -> p.getFileName().toString().startsWith("hs_err_pid")).count();
            }
        }
        Path ortLog = Path.of(System.getProperty("java.io.tmpdir"), "mat-debug-" + ProcessHandle.current().pid() + ".log");
        return n + (Files.exists(ortLog) ? 1 : 0);
    }
}
