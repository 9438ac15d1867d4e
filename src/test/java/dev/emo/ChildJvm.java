package dev.emo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The start of a command line for a JVM a test starts: this JVM's java, the options run.sh gives, crash reports to $EMO_HOME/crash. */
public final class ChildJvm {
    private ChildJvm() {}

    public static List<String> java() {
        return new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xss4m",
                dev.emo.kernels.Simd.JVM_OPTION, EmoHome.crashOption()));
    }

    /** {@code java … dev.emo.cli.Main} with the fixtures where this JVM finds them. */
    public static List<String> main() {
        List<String> cmd = java();
        cmd.addAll(List.of("-D" + SharedData.PROPERTY + "=" + SharedData.root().toAbsolutePath(), "-cp", System.getProperty("java.class.path"),
                "dev.emo.cli.Main"));
        return cmd;
    }
}
