package dev.emo.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ConfigFileTest {
    @TempDir
    Path tmp;

    @Test
    void propertiesFileFlagsComeFirstAndTheCommandLineWins() throws Exception {
        Path f = tmp.resolve("run.properties");
        Files.writeString(f, "learning_rate=1e-4\nline_by_line=true\nseed=3\n");
        String[] out = ConfigFile.expand(new String[]{"finetune", "--config", f.toString(), "--seed", "9"});
        List<String> l = List.of(out);
        assertEquals("finetune", l.get(0));
        assertEquals("1e-4", l.get(l.indexOf("--learning_rate") + 1));
        assertEquals("9", l.get(l.indexOf("--seed") + 1));
        assertEquals(1, l.stream().filter("--seed"::equals).count());
        assertEquals(true, l.contains("--line_by_line"));
    }

    @Test
    void jsonFile() throws Exception {
        Path f = tmp.resolve("run.json");
        Files.writeString(f, "{\"objective\": \"mixce\", \"mixce_eta\": 0.3, \"overwrite_output_dir\": false}");
        List<String> l = List.of(ConfigFile.expand(new String[]{"finetune", "--config", f.toString()}));
        assertEquals(List.of("finetune", "--objective", "mixce", "--mixce_eta", "0.3"), l);
    }
}
