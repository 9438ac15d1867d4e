package dev.emo.data;

import dev.emo.UserError;
import dev.emo.chat.ChatTemplate;
import dev.emo.tokenizers.Tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A conversation's ids and labels with the loss on the assistant turns only. For each assistant message
 * the conversation before it is rendered with the generation prompt; the trained span runs from the first
 * token of the whole rendering past that prefix through the first end-of-turn token after it. So what the
 * template adds to the answer (Qwen3's empty {@code <think>} block) is trained and the headers are not.
 * Renderings are tokenized without adding special tokens: the template writes them.
 */
final class ChatSpans {
    private final ChatTemplate template;
    private final Tokenizer tok;
    private final EndOfTurn eot;

    ChatSpans(ChatTemplate template, Tokenizer tok, EndOfTurn eot) {
        this.template = template;
        this.tok = tok;
        this.eot = eot;
    }

    InstructionData.Example example(List<Map<String, Object>> messages, String where, int line) {
        String full = render(messages, false, where);
        int[] ids = tok.encode(full, false);
        int[] labels = new int[ids.length];
        Arrays.fill(labels, InstructionData.IGNORE);
        for (int k = 0; k < messages.size(); k++) {
            if (!"assistant".equals(messages.get(k).get("role"))) continue;
            String prefix = render(messages.subList(0, k), true, where);
            if (!full.startsWith(prefix)) {
                throw UserError.of(where, "the chat template renders the turns before messages[" + k + "] differently once the conversation goes on"
                        + " (its prompt for that answer is not the start of the whole conversation), so the answer cannot be told apart",
                        "pass --chat_template FILE with a template that renders earlier turns the same way");
            }
            int start = firstAfter(tok.encode(prefix, false), ids), end = start;
            while (end < ids.length && ids[end] != eot.id()) end++;
            if (end == ids.length) {
                throw UserError.of(where, "the rendering has no end-of-turn token (" + eot.text() + ", id " + eot.id() + ") after messages[" + k + "]",
                        "pass --chat_template FILE with a template that ends each answer with the eos_token");
            }
            System.arraycopy(ids, start, labels, start, end + 1 - start);
        }
        return new InstructionData.Example(line, ids, labels);
    }

    private String render(List<Map<String, Object>> messages, boolean generationPrompt, String where) {
        try {
            return template.render(messages, generationPrompt);
        } catch (ChatTemplate.RenderError e) {
            throw UserError.of(where, e.problem + " (" + template.source() + ")", e.fix);
        }
    }

    /**
     * Where a text's continuation starts in the tokens of the whole: after the tokens the two share. Where the
     * prefix's own tokens begin the whole's (every case of the reference conversations), that is its first token
     * past the prefix; where one token straddles the prefix's end, it is that token.
     */
    static int firstAfter(int[] prefixIds, int[] ids) {
        int n = 0;
        while (n < prefixIds.length && n < ids.length && prefixIds[n] == ids[n]) n++;
        return n;
    }
}
