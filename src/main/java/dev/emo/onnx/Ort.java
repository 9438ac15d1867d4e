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

    /** Thread stack for ORT's start-up: far above what it needs (4 MB fell short with ~190 jars, 8 MB sufficed). */
    private static final long STARTUP_STACK_BYTES = 64L << 20;
    private static OrtEnvironment environment;

    public static synchronized OrtEnvironment environment() {
        if (environment != null) return environment;
        if (System.getProperty("onnxruntime.native.path") == null) {
            Path dir = extractedLibraries();
            if (dir != null) System.setProperty("onnxruntime.native.path", dir.toString());
        }
        environment = onLargeStack(OrtEnvironment::getEnvironment);
        return environment;
    }

    /**
     * ORT 1.29's start-up (OrtEnvironment.getEnvironment) with its telemetry on uses stack in proportion
     * to the class path and segfaults (exit 139, no hs_err) when it runs out: the thread's -Xss was the
     * only guard, and adding jars (Jinjava and Guava, for chat templates) pushed run.sh's 4 MB main
     * thread past it. So it runs on its own thread with a stack of {@link #STARTUP_STACK_BYTES},
     * whatever the caller's (a user's JVM has telemetry on unless ORT_DISABLE_TELEMETRY is set).
     * OrtStartupStackTest tells when upstream no longer needs it.
     */
    private static <T> T onLargeStack(java.util.function.Supplier<T> start) {
        Object[] result = new Object[1];
        Throwable[] failure = new Throwable[1];
        Thread t = new Thread(null, () -> {
            try {
                result[0] = start.get();
            } catch (Throwable e) {
                failure[0] = e;
            }
        }, "onnxruntime-start", STARTUP_STACK_BYTES);
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while ONNX Runtime started", e);
        }
        if (failure[0] instanceof RuntimeException r) throw r;
        if (failure[0] instanceof Error err) throw err;
        if (failure[0] != null) throw new IllegalStateException(failure[0]);
        @SuppressWarnings("unchecked") T value = (T) result[0];
        return value;
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
