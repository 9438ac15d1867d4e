package dev.emo;

/**
 * A problem with the user's input (a file, a flag, a model folder) rather than a bug. The message
 * is one line naming the file, the problem and the fix; the CLI prints it and exits non-zero.
 */
public class UserError extends RuntimeException {
    public UserError(String message) {
        super(message);
    }

    public UserError(String message, Throwable cause) {
        super(message, cause);
    }

    /** "FILE: PROBLEM; FIX" — the house format for input errors. */
    public static UserError of(Object file, String problem, String fix) {
        return new UserError(file + ": " + problem + "; " + fix);
    }
}
