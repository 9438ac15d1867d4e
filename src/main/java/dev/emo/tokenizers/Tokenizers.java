package dev.emo.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Picks and configures the tokenizer of an exported model folder. The tokenizer files decide the
 * algorithm ({@code tokenizer.json} first, else {@code vocab.json} + {@code merges.txt}); the model
 * family (asked of {@code registry.ModelFamilies} by config.json's model_type) decides the conventions
 * that HF keeps in Python rather than in the files:
 * OPT prepends {@code </s>}, LLaMA follows tokenizer_config.json's add_bos_token/add_eos_token,
 * Qwen adds what tokenizer.json's post-processor says (nothing, for Qwen2.5/Qwen3).
 * bos/eos/pad ids come from config.json, else from the family's token names looked up in the vocab.
 */
public final class Tokenizers {
    private Tokenizers() {}

    /** The conventions of a model family; token names are defaults that tokenizer_config.json overrides. */
    enum Family {
        GPT2("<|endoftext|>", "<|endoftext|>", null, "<|endoftext|>"),
        OPT("</s>", "</s>", "<pad>", "<unk>"),
        LLAMA("<s>", "</s>", null, "<unk>"),
        /** Qwen2TokenizerFast: no bos, {@code <|endoftext|>} by default; the post-processor in the file decides what is added */
        QWEN(null, "<|endoftext|>", "<|endoftext|>", "<|endoftext|>"),
        OTHER(null, null, null, null);

        final String bos, eos, pad, unk;

        Family(String bos, String eos, String pad, String unk) {
            this.bos = bos;
            this.eos = eos;
            this.pad = pad;
            this.unk = unk;
        }

        /** By name (a model family's {@code tokenizerConventions()}); null: no family conventions (e.g. BERT). */
        static Family named(String conventions) {
            return conventions == null ? OTHER : Family.valueOf(conventions.toUpperCase(Locale.ROOT));
        }
    }

    /**
     * @param conventions the model family's tokenizer conventions (GPT2, OPT, LLAMA, QWEN), as the model
     *                    registry names them; null for folders of no causal-LM family (BERT)
     */
    public static Tokenizer load(Path modelDir, String conventions) {
        if (modelDir == null || !Files.isDirectory(modelDir))
            throw TokenizerException.of(modelDir, "not a folder", "pass the exported model folder (the one holding config.json and the tokenizer files)");
        JsonNode config = JsonFiles.readIfPresent(modelDir.resolve("config.json"));
        JsonNode tokCfg = JsonFiles.readIfPresent(modelDir.resolve("tokenizer_config.json"));
        Family family = Family.named(conventions);
        Path tokJson = modelDir.resolve("tokenizer.json");
        Path vocab = modelDir.resolve("vocab.json"), merges = modelDir.resolve("merges.txt");

        if (tokCfg != null && tokCfg.path("split_special_tokens").asBoolean(false))
            throw TokenizerException.of(modelDir.resolve("tokenizer_config.json"), "split_special_tokens true is not supported",
                    "set it to false (special tokens written in the text then map to their ids)");
        if (Files.isRegularFile(tokJson)) {
            TokenizerJson tj = TokenizerJson.read(tokJson);
            if (tj.wordPiece) return WordPieceTokenizer.fromTokenizerJson(tj); // BERT: its specials are all in the file
            Names names = new Names(family, tokCfg, tj.model.path("unk_token").asText(null));
            Lookup lookup = tj::idOfAny;
            SpecialTokens sp = specials(family, config, tokCfg, names, lookup, tj.prefix, tj.suffix, tj.specialAddedIds());
            return tj.isByteLevel() ? ByteLevelBpeTokenizer.fromTokenizerJson(tj, sp)
                    : SentencePieceBpeTokenizer.fromTokenizerJson(tj, sp);
        }
        boolean hasVocab = Files.isRegularFile(vocab), hasMerges = Files.isRegularFile(merges);
        if (hasVocab && hasMerges) {
            var v = ByteLevelBpeTokenizer.readVocabJson(vocab);
            Names names = new Names(family, tokCfg, null);
            Lookup lookup = cs -> Arrays.stream(cs).filter(v::containsKey).map(v::get).findFirst().orElse(-1);
            SpecialTokens sp = specials(family, config, tokCfg, names, lookup, new int[0], new int[0], Set.of());
            // HF's GPT2Tokenizer never splits its special tokens, so cut them out before BPE
            List<String> split = new ArrayList<>();
            for (String s : names.all()) if (s != null && !split.contains(s)) split.add(s);
            return ByteLevelBpeTokenizer.fromVocabAndMerges(vocab, merges, sp, split);
        }
        if (hasVocab || hasMerges)
            throw TokenizerException.of(modelDir, "has " + (hasVocab ? "vocab.json but no merges.txt" : "merges.txt but no vocab.json"),
                    "copy both files (or tokenizer.json) from the Hugging Face model repo next to model.onnx");
        if (Files.isRegularFile(modelDir.resolve("tokenizer.model")))
            throw TokenizerException.of(modelDir, "only tokenizer.model (SentencePiece protobuf) found, which is not supported",
                    "save tokenizer.json next to it (transformers: AutoTokenizer.from_pretrained(repo).save_pretrained(dir))");
        throw TokenizerException.of(modelDir, "no tokenizer files (expected tokenizer.json, or vocab.json + merges.txt)",
                "copy the tokenizer files from the Hugging Face model repo next to model.onnx");
    }

    /** token text -> id of the first name found, else -1 */
    private interface Lookup {
        int idOfAny(String... contents);
    }

    /** The special token names: tokenizer_config.json's, else the family's. */
    private record Names(String bos, String eos, String pad, String unk) {
        Names(Family f, JsonNode tokCfg, String modelUnk) {
            this(JsonFiles.textOr(tokCfg, "bos_token", f.bos), JsonFiles.textOr(tokCfg, "eos_token", f.eos),
                    JsonFiles.textOr(tokCfg, "pad_token", f.pad), JsonFiles.textOr(tokCfg, "unk_token", modelUnk != null ? modelUnk : f.unk));
        }

        List<String> all() {
            return Arrays.asList(bos, eos, pad, unk);
        }
    }

    private static SpecialTokens specials(Family family, JsonNode config, JsonNode tokCfg, Names names, Lookup lookup,
                                          int[] prefix, int[] suffix, Set<Integer> specialAdded) {
        int bos = JsonFiles.intOr(config, "bos_token_id", id(lookup, names.bos()));
        int eos = JsonFiles.intOr(config, "eos_token_id", id(lookup, names.eos()));
        int pad = JsonFiles.intOr(config, "pad_token_id", id(lookup, names.pad()));
        int unk = id(lookup, names.unk());
        int[] pre = prefix, post = suffix;
        switch (family) {
            case OPT -> {
                // OPT's tokenizer (GPT2Tokenizer with add_bos_token) prepends </s>; the files do not say so
                boolean addBos = flag(tokCfg, "add_bos_token", true);
                if (!addBos) pre = new int[0];
                else if (pre.length == 0 && bos >= 0) pre = new int[] {bos};
            }
            case LLAMA -> {
                // LlamaTokenizerFast rebuilds its post-processor from these two flags
                if (tokCfg != null && tokCfg.has("add_bos_token")) pre = flag(tokCfg, "add_bos_token", true) && bos >= 0 ? new int[] {bos} : new int[0];
                if (tokCfg != null && tokCfg.has("add_eos_token")) post = flag(tokCfg, "add_eos_token", false) && eos >= 0 ? new int[] {eos} : new int[0];
            }
            default -> { }
        }
        Set<Integer> skip = new TreeSet<>(specialAdded);
        skip.addAll(SpecialTokens.ids(bos, eos, pad, unk));
        return new SpecialTokens(bos, eos, pad, pre, post, skip);
    }

    private static int id(Lookup lookup, String name) {
        return name == null ? -1 : lookup.idOfAny(name);
    }

    private static boolean flag(JsonNode node, String field, boolean dflt) {
        if (node == null || !node.has(field) || !node.get(field).isBoolean()) return dflt;
        return node.get(field).asBoolean();
    }
}
