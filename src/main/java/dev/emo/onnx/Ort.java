package dev.emo.onnx;

import ai.onnxruntime.OrtEnvironment;
import dev.emo.EmoHome;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The one way this application gets ONNX Runtime's environment, so that ORT leaves nothing outside
 * {@code $EMO_HOME}: left to itself, ORT's Java loader extracts its native libraries into a new
 * {@code onnxruntime-java<N>/} in the temp directory on every start and leaves that folder behind.
 * Here they are extracted once into {@code $EMO_HOME/native/onnxruntime-<version>/} and ORT is pointed
 * at them ({@code onnxruntime.native.path}). ORT's telemetry (a database under
 * {@code ~/.cache/Microsoft/DeveloperTools/} and {@code /tmp/mat-debug-<pid>.log}) can only be turned
 * off before the process starts: run.sh and the test JVMs set {@code ORT_DISABLE_TELEMETRY=1}.
 */
public final class Ort {
    private static final String[] LIBRARIES = {"libonnxruntime.so", "libonnxruntime4j_jni.so"};

    private Ort() {}

    public static synchronized OrtEnvironment environment() {
        if (System.getProperty("onnxruntime.native.path") == null) {
            Path dir = extractedLibraries();
            if (dir != null) System.setProperty("onnxruntime.native.path", dir.toString());
        }
        return OrtEnvironment.getEnvironment();
    }

    /** The libraries of this platform, extracted once per ORT version; null where ORT's own loader must do it (not Linux x64, or no writable EMO_HOME). */
    private static Path extractedLibraries() {
        String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT), arch = System.getProperty("os.arch", "");
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) return null;
        String version = OrtEnvironment.class.getPackage().getImplementationVersion();
        Path dir = EmoHome.dir().resolve("native").resolve("onnxruntime-" + (version == null ? "unknown" : version));
        try {
            Files.createDirectories(dir);
            for (String lib : LIBRARIES) {
                Path target = dir.resolve(lib);
                if (Files.isRegularFile(target)) continue;
                try (InputStream in = OrtEnvironment.class.getResourceAsStream("/ai/onnxruntime/native/linux-x64/" + lib)) {
                    if (in == null) return null;
                    // a temporary file renamed into place: another process never loads a half-written library
                    Path tmp = Files.createTempFile(dir, lib, ".tmp");
                    try {
                        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    } finally {
                        Files.deleteIfExists(tmp);
                    }
                }
            }
            return dir;
        } catch (IOException e) {
            return null;   // ORT extracts into the temp directory itself, as before
        }
    }
}
