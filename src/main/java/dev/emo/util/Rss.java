package dev.emo.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident set size of this process (Linux /proc), which, unlike the heap, includes ND4J's off-heap buffers. */
public final class Rss {
    private Rss() {}

    public static long currentMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /**
     * The highest RSS seen between construction and {@link #stop()}, sampled every 5 ms on a daemon
     * thread: a per-interval peak (the kernel's VmHWM only keeps the process-lifetime one).
     */
    public static final class Peak {
        private volatile boolean running = true;
        private volatile long peakMb = currentMb();
        private final Thread sampler;

        public Peak() {
            sampler = new Thread(() -> {
                while (running) {
                    peakMb = Math.max(peakMb, currentMb());
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "rss-peak");
            sampler.setDaemon(true);
            sampler.start();
        }

        /** Stops sampling; returns the peak in MB. */
        public long stop() {
            running = false;
            try {
                sampler.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Math.max(peakMb, currentMb());
        }
    }
}
