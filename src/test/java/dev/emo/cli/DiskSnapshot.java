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

    /** hs_err_pid*.log files a crashed JVM leaves in the working directory. */
    static long crashLogs() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("."))) {
            return s.filter(p -> p.getFileName().toString().startsWith("hs_err_pid")).count();
        }
    }
}
