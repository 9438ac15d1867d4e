package dev.emo.data;

import dev.emo.UserError;
import dev.emo.chat.ChatTemplate;
import dev.emo.tokenizers.Tokenizer;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * The token that ends a turn: tokenizer_config.json's eos_token (Llama 3's {@code <|eot_id|>}, Qwen's
 * {@code <|im_end|>}), which chat templates write after each answer and TRL appends to completions;
 * the tokenizer's eos where the folder names none.
 */
record EndOfTurn(String text, int id) {
    static EndOfTurn of(Path modelDir, Tokenizer tok) {
        String eos = ChatTemplate.specialTokens(modelDir).get("eos_token");
        if (eos == null) return new EndOfTurn(null, tok.eosId());
        int[] ids = tok.encode(eos, false);
        if (ids.length != 1) {
            throw UserError.of(modelDir.resolve("tokenizer_config.json"), "eos_token '" + eos + "' is " + ids.length + " tokens, not one",
                    "set eos_token to the model's end-of-turn special token");
        }
        return new EndOfTurn(eos, ids[0]);
    }

    /** The ids of prompt + completion with the end of turn after them, unless the completion already ends with it (as TRL does). */
    int[] appendedTo(int[] ids, String completion) {
        if (id < 0 || (text != null && completion.endsWith(text))) return ids;
        int[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = id;
        return out;
    }
}
