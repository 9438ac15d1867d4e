package dev.emo.icl;

/** One labelled input: the text the template fills in, and the index of its gold verbaliser. */
public record Example(String text, int label) {}
