package dev.emo.registry;

import dev.emo.lowbit.BaseDType;
import dev.emo.models.GraphOptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A measurement, not a test: the peak resident memory of loading a checkpoint folder in a fresh JVM,
 * against the size of its weights. {@code java … LoadRssProbe DIR DTYPE} loads DIR with
 * {@code --base_dtype DTYPE} through {@link Models#load(Path, GraphOptions)} and prints the process's
 * high-water mark (VmHWM: everything, ND4J's off-heap buffers included). The same main run against
 * an older build's classes measures the old loader. {@link BigCheckpoint} writes a folder to measure.
 * {@code … DIR DTYPE write-stream|write-old OUT}: loads with LoRA on q_proj and v_proj (r 16, B random)
 * and writes best/ with the adapters merged into OUT, streamed (ModelSource.writeMerged) or as before
 * (writeFolder with mergedWeights()), printing the resident memory the write added at its peak.
 */
public final class LoadRssProbe {
    private LoadRssProbe() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        BaseDType dtype = BaseDType.parse(args[1]);
        org.nd4j.linalg.factory.Nd4j.create(1);   // the backend's start-up, measured apart from the load
        long before = kb("VmRSS"), start = System.nanoTime();
        boolean write = args.length > 3;
        var spec = new dev.emo.models.LoraSpec(16, 32, 0, java.util.List.of("q_proj", "v_proj"));
        var loaded = Models.load(dir, new GraphOptions(false, write ? spec : null, dtype));
        double seconds = (System.nanoTime() - start) / 1e9;
        long weights = 0;
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".safetensors")).toList()) weights += Files.size(f);
        }
        System.out.printf("loaded %s as %s in %.1f s: %d parameters, %d packed projections%n", dir.getFileName(), dtype.flag(), seconds,
                loaded.model().params().size(), loaded.model().frozenWeights().size());
        System.out.printf("weights files %,d MB; RSS before load %,d MB; peak RSS (VmHWM) %,d MB; peak − weights %,d MB%n",
                weights >> 20, before >> 10, kb("VmHWM") >> 10, (kb("VmHWM") >> 10) - (weights >> 20));
        if (write) {
            org.nd4j.linalg.factory.Nd4j.getRandom().setSeed(1);
            loaded.model().loraParams().values().forEach(v -> v.getArr().assign(org.nd4j.linalg.factory.Nd4j.randn(v.getArr().shape()).muli(0.01)));
            long rss = kb("VmRSS") >> 10;
            var peak = new dev.emo.util.Rss.Peak();
            start = System.nanoTime();
            if (args[2].equals("write-stream")) loaded.source().writeMerged(loaded.model(), dir, Path.of(args[3]));
            else loaded.source().writeFolder(loaded.model(), loaded.model().mergedWeights(), dir, Path.of(args[3]));
            System.out.printf("%s in %.1f s: RSS before %,d MB, peak during the write %,d MB (+%,d MB)%n", args[2], (System.nanoTime() - start) / 1e9,
                    rss, peak.stop(), peak.stop() - rss);
        }
        System.out.printf("now: RSS %,d MB, Java heap committed %,d MB, JavaCPP off-heap %,d MB%n", kb("VmRSS") >> 10,
                Runtime.getRuntime().totalMemory() >> 20, org.bytedeco.javacpp.Pointer.totalBytes() >> 20);
    }

    private static long kb(String field) throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) return Long.parseLong(line.replaceAll("\\D", ""));
        }
        return -1;
    }
}
