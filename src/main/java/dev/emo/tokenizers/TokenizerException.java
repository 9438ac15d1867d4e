package dev.emo.tokenizers;

import dev.emo.UserError;

/**
 * Bad tokenizer input (missing or corrupt file, unsupported configuration). Extends the project's
 * {@link UserError} (a RuntimeException) so the CLI prints the one-line message instead of a trace.
 * The message is always one line: "FILE: PROBLEM; FIX".
 */
public class TokenizerException extends UserError {
    public TokenizerException(String message) {
        super(oneLine(message));
    }

    public TokenizerException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    public static TokenizerException of(Object file, String problem, String fix) {
        return new TokenizerException(file + ": " + problem + "; " + fix);
    }

    // Jackson and IO messages may carry newlines; a CLI error must stay on one line.
    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").strip();
    }
}
