package dev.emo.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    // ---- issue #21: typed values, the file named in every error, YAML refused, an empty file accepted ----

    @Test
    void falseValuesAreKeptAsValuesWhereTheOptionTakesOne() throws Exception {
        Path json = Files.writeString(tmp.resolve("lora.json"), "{\"lora_r\": 4, \"merge_lora\": false, \"line_by_line\": false,"
                + " \"lora_target_modules\": [\"q_proj\", \"v_proj\"], \"learning_rate\": 1e-4}");
        List<String> l = List.of(ConfigFile.expand(new String[]{"finetune", "--config", json.toString()}));
        assertEquals("false", l.get(l.indexOf("--merge_lora") + 1), l.toString());
        assertEquals("q_proj,v_proj", l.get(l.indexOf("--lora_target_modules") + 1), l.toString());
        assertEquals(false, l.contains("--line_by_line"), l.toString());
        Path props = Files.writeString(tmp.resolve("lora.properties"), "lora_r=4\nmerge_lora=FALSE\n");
        l = List.of(ConfigFile.expand(new String[]{"finetune", "--config", props.toString()}));
        assertEquals("false", l.get(l.indexOf("--merge_lora") + 1), l.toString());
        // compare passes finetune's options on: they are typed by finetune's
        l = List.of(ConfigFile.expand(new String[]{"compare", "--config", json.toString()}));
        assertEquals("false", l.get(l.indexOf("--merge_lora") + 1), l.toString());
    }

    @Test
    void everyConfigErrorNamesTheFile() throws Exception {
        Path wrongType = Files.writeString(tmp.resolve("typed.json"), "{\"max_steps\": 3.5}");
        String m = CliRun.refused(tmp, "finetune", "--config", wrongType.toString());
        assertTrue(m.contains("typed.json") && m.contains("max_steps is 3.5") && m.contains("whole number"), m);
        Path bool = Files.writeString(tmp.resolve("bool.properties"), "line_by_line=yes\n");
        m = CliRun.refused(tmp, "finetune", "--config", bool.toString());
        assertTrue(m.contains("bool.properties") && m.contains("true or false"), m);
        Path unknown = Files.writeString(tmp.resolve("unknown.json"), "{\"learning_rte\": 1}");
        m = CliRun.refused(tmp, "finetune", "--config", unknown.toString());
        assertTrue(m.contains("unknown.json") && m.contains("'learning_rte' is not an option of finetune"), m);
        Path yaml = Files.writeString(tmp.resolve("run.yaml"), "learning_rate: 1e-4\n");
        m = CliRun.refused(tmp, "finetune", "--config", yaml.toString());
        assertTrue(m.contains("run.yaml") && m.contains("YAML") && m.contains(".json"), m);
        Path broken = Files.writeString(tmp.resolve("broken.json"), "{\"seed\": ");
        m = CliRun.refused(tmp, "finetune", "--config", broken.toString());
        assertTrue(m.contains("broken.json") && m.contains("cannot be parsed"), m);
    }

    @Test
    void anEmptyConfigAddsNothing() throws Exception {
        for (String name : new String[]{"empty.json", "empty.properties", "braces.json"}) {
            Path f = Files.writeString(tmp.resolve(name), name.startsWith("braces") ? "{}" : "");
            assertEquals(List.of("finetune", "--seed", "9"), List.of(ConfigFile.expand(new String[]{"finetune", "--config", f.toString(), "--seed", "9"})));
        }
    }
}
