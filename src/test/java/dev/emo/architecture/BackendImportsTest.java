package dev.emo.architecture;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cuda profile must keep compiling: code under src/main names a backend-specific package
 * (OpenBLAS's bindings, ND4J's CPU or CUDA backend classes, JavaCPP's CUDA presets) only in
 * execution/HostBlas.java, whose OpenBLAS bindings both profiles bring.
 */
class BackendImportsTest {
    static final Pattern BACKEND = Pattern.compile(
            "\\b(org\\.bytedeco\\.openblas|org\\.nd4j\\.linalg\\.cpu|org\\.nd4j\\.linalg\\.jcublas|org\\.nd4j\\.jita|org\\.bytedeco\\.cuda|org\\.nd4j\\.nativeblas\\.Nd4jCpu|org\\.nd4j\\.nativeblas\\.Nd4jCuda)\\b");
    static final Path ALLOWED = Path.of("src/main/java/dev/emo/execution/HostBlas.java");

    @Test
    void onlyHostBlasNamesABackendPackage() throws Exception {
        Path root = Path.of("src/main/java");
        assertTrue(Files.isDirectory(root), "run from the repository root (Maven does)");
        List<String> offenders = new ArrayList<>();
        int scanned = 0;
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                scanned++;
                if (f.equals(ALLOWED)) continue;
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    if (BACKEND.matcher(lines.get(i)).find()) offenders.add(f + ":" + (i + 1) + ": " + lines.get(i).strip());
                }
            }
        }
        assertTrue(scanned > 100, "scanned " + scanned + " source files");
        assertEquals(List.of(), offenders, "backend-specific packages outside " + ALLOWED);
        assertTrue(BACKEND.matcher(Files.readString(ALLOWED)).find(), ALLOWED + " is where the backend calls are (update this test if they moved)");
    }

    @Test
    void thePatternCatchesBackendImports() {
        assertTrue(BACKEND.matcher("import org.bytedeco.openblas.global.openblas;").find());
        assertTrue(BACKEND.matcher("import org.nd4j.linalg.cpu.nativecpu.NDArray;").find());
        assertTrue(BACKEND.matcher("import org.nd4j.linalg.jcublas.JCublasNDArray;").find());
        assertTrue(!BACKEND.matcher("import org.nd4j.linalg.api.ndarray.INDArray;").find());
    }
}
