package dev.emo.evaluation;

import dev.emo.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The reference's line filter, word split and scan window, on hand-made lines with known outcomes. */
class OpenEndedProtocolTest {
    private static String words(String stem, int n) {
        List<String> w = new ArrayList<>();
        for (int i = 0; i < n; i++) w.add(stem + i);
        return String.join(" ", w);
    }

    @Test
    void ptbFilterSplitAndScanWindow(@TempDir Path dir) throws Exception {
        OpenEndedProtocol ptb = OpenEndedProtocol.named("ptb");              // 5 + 25 words, needs ≥ 40 pieces
        List<String> lines = new ArrayList<>();
        lines.add(" " + words("w", 40));                                        // stripped: 40 pieces, ≥ 100 chars: kept
        lines.add(words("x", 39) + " " + "y".repeat(100));                      // 40 pieces, kept
        lines.add(words("s", 39));                                              // 39 pieces: skipped
        lines.add(words("long", 50) + " ==");                                   // contains "==": skipped
        lines.add("a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n");  // 40 pieces, < 100 chars: skipped
        while (lines.size() < 4032) lines.add("short");
        lines.add(words("late", 60));                                           // line 4033: outside the scan window
        Path file = dir.resolve("ptb.test.txt");
        Files.write(file, lines);

        List<OpenEndedProtocol.Example> ex = ptb.examples(file, 0);
        assertEquals(4032, ptb.linesScanned());
        assertEquals(2, ex.size());
        assertEquals("w0 w1 w2 w3 w4", ex.get(0).prefix());
        assertEquals("w0 w1 w2 w3 w4 " + words("w", 30).substring("w0 w1 w2 w3 w4 ".length()), ex.get(0).human());
        assertEquals(30, ex.get(0).human().split(" ").length);
        assertEquals("x0 x1 x2 x3 x4", ex.get(1).prefix());
        assertEquals(1, ptb.examples(file, 1).size());
    }

    @Test
    void wikitextKeepsTheLeadingSpaceAsAnEmptyFirstWord(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("wiki.test.raw");
        Files.writeString(file, " = Heading = \r\n " + words("v", 120) + " \r\n");
        List<OpenEndedProtocol.Example> ex = OpenEndedProtocol.named("wikitext").examples(file, 0);
        assertEquals(1, ex.size());
        assertEquals(" " + words("v", 19), ex.get(0).prefix());                // piece 0 is "", so 19 real words
        assertEquals(" " + words("v", 99), ex.get(0).human());
    }

    @Test
    void agNewsJoinsTitleAndDescription(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("test.csv");
        Files.writeString(file, "\"3\",\"Title here\",\"" + words("d", 60) + "\"\n");
        List<OpenEndedProtocol.Example> ex = OpenEndedProtocol.named("ag_news").examples(file, 0);
        assertEquals("Title here d0 d1 d2 d3 d4 d5 d6 d7", ex.get(0).prefix());
        assertEquals(40, ex.get(0).human().split(" ").length);
    }

    @Test
    void unknownProtocolAndEmptyResultAreUserErrors(@TempDir Path dir) throws Exception {
        assertThrows(UserError.class, () -> OpenEndedProtocol.named("c4"));
        Path file = dir.resolve("t.txt");
        Files.writeString(file, "too short\n");
        UserError e = assertThrows(UserError.class, () -> OpenEndedProtocol.named("ptb").examples(file, 0));
        assertEquals(true, e.getMessage().startsWith(file.toString()));
    }
}
