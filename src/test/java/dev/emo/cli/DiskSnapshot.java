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

    /** Names a JVM, ONNX Runtime, JavaCPP, Spark or this application give what they leave in the temp directory. */
    private static final java.util.regex.Pattern TEMP_LEFTOVERS = java.util.regex.Pattern.compile(
            "mat-debug-.*|onnxruntime-java.*|hs_err.*|javacpp.*|emo.*|spark-.*|blockmgr-.*|.*\\.tmp");

    /**
     * What a command may not write outside the user's folders: the home folder's caches (every file
     * under ~/.cache except $EMO_HOME, with content hashes) and, in the temp directory, the entries
     * named as JVMs, ONNX Runtime, JavaCPP, Spark or this application name theirs (the temp directory
     * as a whole is shared with other processes, whose files would make the snapshot differ at random).
     */
    static Map<String, String> outsideFolders() throws IOException {
        Map<String, String> m = new TreeMap<>();
        Path caches = Path.of(System.getProperty("user.home"), ".cache"), emoHome = dev.emo.EmoHome.dir().toAbsolutePath().normalize();
        if (Files.isDirectory(caches)) {
            try (Stream<Path> s = Files.walk(caches)) {
                for (Path p : s.filter(p -> !p.toAbsolutePath().normalize().startsWith(emoHome)).toList()) {
                    m.put("~/.cache/" + caches.relativize(p), Files.isDirectory(p) ? "dir" : Hashes.sha256(p));
                }
            }
        }
        Path temp = Path.of(System.getProperty("java.io.tmpdir"));
        try (Stream<Path> s = Files.list(temp)) {
            s.map(p -> p.getFileName().toString()).filter(n -> TEMP_LEFTOVERS.matcher(n).matches()).forEach(n -> m.put("tmp/" + n, "present"));
        }
        return m;
    }
}
