package dev.emo.chat;

import dev.emo.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What Hugging Face templates use beyond Jinjava's defaults, one construct per line. Every expected string
 * is what @huggingface/jinja 0.5.11 (the reference renderer of chat.json) prints for the same template.
 */
class HfJinjaTest {
    static final Clock JULY_26 = Clock.fixed(Instant.parse("2024-07-26T10:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    String render(String template, Map<String, ?> vars) throws IOException {
        Path file = Files.writeString(dir.resolve("t.jinja"), template);
        return ChatTemplate.of(dir, file).withClock(JULY_26).render(vars);
    }

    @Test
    void llama31DateLogicReadsTheCallersDateElseTheClock() throws IOException {
        String t = "{%- if not date_string is defined %}{%- set date_string = strftime_now('%d %b %Y') %}{%- endif %}Today Date: {{ date_string }}";
        assertEquals("Today Date: 26 Jul 2024", render(t, Map.of()));
        assertEquals("Today Date: 01 Jan 2025", render(t, Map.of("date_string", "01 Jan 2025")));
        assertEquals("Friday 26 July 2024 10:00", render("{{ strftime_now('%A %d %B %Y %H:%M') }}", Map.of()));
    }

    @Test
    void notNegatesTheWholeComparisonOrTestAndAndOrGiveOperands() throws IOException {
        assertEquals("false|true|true|false|false", render("{{ not x is defined }}|{{ not 1 == 2 }}|{{ not false and true }}|{{ not 'a' in 'abc' }}|{{ 'a' not in 'abc' }}",
                Map.of("x", 1)));
        // and/or give an operand, as in Python
        assertEquals("a|d|y|0|b", render("{{ x and 'a' or 'b' }}|{{ none or 'd' }}|{{ 'x' and 'y' }}|{{ '' or 0 }}|{{ y and 'a' or 'b' }}", Map.of("x", true)));
    }

    @Test
    void tojsonWritesPythonsSeparators() throws IOException {
        String t = "{%- set d = {'name': 'f', 'parameters': {'a': [1, 2], 'b': 'é\"', 'c': []}} %}";
        assertEquals("{\"name\": \"f\", \"parameters\": {\"a\": [1, 2], \"b\": \"é\\\"\", \"c\": []}}", render(t + "{{ d | tojson }}", Map.of()));
        assertEquals("{\n  \"name\": \"f\",\n  \"parameters\": {\n    \"a\": [\n      1,\n      2\n    ],\n    \"b\": \"é\\\"\",\n    \"c\": []\n  }\n}",
                render(t + "{{ d | tojson(indent=2) }}", Map.of()));
    }

    @Test
    void loopControlsNamespaceAndLoopVariables() throws IOException {
        assertEquals("02", render("{% for i in range(5) %}{% if i == 3 %}{% break %}{% endif %}{% if i == 1 %}{% continue %}{% endif %}{{ i }}{% endfor %}", Map.of()));
        assertEquals("8", render("{% set ns = namespace(n=items|length - 1) %}{% for x in items %}{% set ns.n = ns.n + x %}{% endfor %}{{ ns.n }}",
                Map.of("items", List.of(1, 2, 3))));
        assertEquals("0truefalseusernone1falsetrueassistantc", render("{%- for m in messages %}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ m.role }}{{ m.get('content', 'none') }}{% endfor %}",
                Map.of("messages", List.of(Map.of("role", "user"), Map.of("role", "assistant", "content", "c")))));
    }

    @Test
    void pythonStringMethodsAsTransformersJsHasThem() throws IOException {
        // strip/lstrip/rstrip ignore their argument and strip whitespace, as @huggingface/jinja does
        assertEquals("a b|a|a|a|b||c|a|b|y|true|true|x",
                render("{{ '  a b  '.strip() }}|{{ '\n a'.lstrip('\n') }}|{{ 'a \n'.rstrip('\n') }}|{{ 'a,b,,c'.split(',')|join('|') }}|{{ ' a  b '.split()|join('|') }}"
                        + "|{{ 'x</think>y'.split('</think>')[-1] }}|{{ 'abc'.startswith(('x','a')) }}|{{ 'abc'.endswith('bc') }}|{{ '\u00a0 x \u3000' | trim }}", Map.of()));
    }

    @Test
    void slicesWithAndWithoutAStep() throws IOException {
        assertEquals("54321|135|24|cba|45|1234|53", render("{{ items[::-1]|join }}|{{ items[::2]|join }}|{{ items[1:4:2]|join }}|{{ 'abc'[::-1] }}|{{ items[-2:]|join }}"
                + "|{{ items[:-1]|join }}|{{ items[4:0:-2]|join }}", Map.of("items", List.of(1, 2, 3, 4, 5))));
    }

    @Test
    void whitespaceAsTransformersRendersIt() throws IOException {
        // trim_blocks and lstrip_blocks on; the template's last newline dropped (keep_trailing_newline off)
        assertEquals("  x\nend", render("{% if true %}\n  x\n  {% endif %}\nend\n", Map.of()));
        assertEquals("abc", render("a{% generation %}b{% endgeneration %}c", Map.of()));
    }

    @Test
    void raiseExceptionIsOneLineWithTheTemplatesMessage() throws IOException {
        UserError e = assertThrows(UserError.class, () -> render("{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}", Map.of()));
        assertEquals(dir.resolve("t.jinja") + ": the chat template refuses the conversation: Conversation roles must alternate user/assistant/user/assistant/...;"
                + " change the conversation to what the template accepts", e.getMessage());
    }

    @Test
    void aConstructTheEngineLacksIsOneLineNamingIt() throws IOException {
        UserError e = assertThrows(UserError.class, () -> render("{% if true %}\n{{ x | frobnicate }}\n{% endif %}", Map.of("x", 1)));
        assertEquals(dir.resolve("t.jinja") + ": the chat template cannot be rendered: unknown filter 'frobnicate' (in x | frobnicate);"
                + " pass --chat_template FILE with a template that avoids that construct", e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        e = assertThrows(UserError.class, () -> render("{% for m in messages %}{{ m }}", Map.of("messages", List.of())));
        assertTrue(e.getMessage().contains("Missing end tag: endfor"), e.getMessage());
        e = assertThrows(UserError.class, () -> render("{{ x is frob }}", Map.of("x", 1)));
        assertTrue(e.getMessage().contains("unknown test 'frob'"), e.getMessage());
    }

    @Test
    void theListFormPicksDefaultAndSpecialTokensAreVariables() throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>", "chat_template": [
                  {"name": "tool_use", "template": "tools"}, {"name": "default", "template": "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}"}]}""");
        assertEquals("<s>hi</s>", ChatTemplate.of(dir, null).render(List.of(Map.of("role", "user", "content", "hi")), false));
    }
}
