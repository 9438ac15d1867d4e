package dev.emo.jobs;

import dev.emo.UserError;
import dev.emo.data.Blocks;
import dev.emo.data.InstructionData;
import dev.emo.data.Packing;
import dev.emo.data.TextFiles;
import dev.emo.tokenizers.Tokenizer;
import dev.emo.util.Hashes;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The rows of a fine-tuning run on instruction data ({prompt, completion} or {messages} JSONL): each example
 * with its labels (the loss on completions / assistant turns), one a row or packed, read and checked by
 * {@link FinetuneJob#prepare} before anything is written. Plain-text runs keep run_clm's blocks; they are
 * refused the instruction flags rather than have them ignored.
 *
 * @param truncated training examples cut to --block_size
 */
record InstructionInputs(Blocks.Examples train, Blocks.Examples validation, Blocks.Examples test, int truncated) {
    /** The run's instruction rows, or null for plain text (after refusing instruction flags and files beside it). */
    static InstructionInputs read(FinetuneSettings s, Tokenizer tok) {
        TextFiles.requireFile(s.trainFile());
        FinetuneSettings.Instruction ins = s.instruction();
        if (!InstructionData.isInstructionFile(s.trainFile())) {
            String flag = ins.packing() ? "--packing" : ins.chatTemplate() != null ? "--chat_template" : !ins.completionOnlyLoss() ? "--completion_only_loss false" : null;
            if (flag != null) {
                throw UserError.of(s.trainFile(), flag + " applies to instruction data, and this file is plain text (grouped into blocks as run_clm does)",
                        "leave " + flag.split(" ")[0] + " out, or pass {\"prompt\", \"completion\"} or {\"messages\"} JSONL");
            }
            for (Path other : new Path[]{s.validationFile(), s.testFile()}) {
                if (other != null && InstructionData.isInstructionFile(other)) {
                    throw UserError.of(other, "is instruction data but --train_file " + s.trainFile() + " is plain text",
                            "give the validation and test files in the training file's kind");
                }
            }
            return null;
        }
        if (s.lineByLine()) throw UserError.of(s.trainFile(), "--line_by_line applies to plain text; instruction examples are one a row already",
                "leave --line_by_line out (pass --packing to fill rows with several examples)");
        if (!s.textColumn().equals("text")) throw UserError.of(s.trainFile(), "--text_column applies to plain text; instruction data is read from prompt/completion or messages",
                "leave --text_column out");
        if (ins.chatTemplate() != null && !java.nio.file.Files.isRegularFile(ins.chatTemplate())) {
            throw UserError.of(ins.chatTemplate(), "not found", "pass an existing Jinja file to --chat_template");
        }
        InstructionData.Settings how = new InstructionData.Settings(s.model(), ins.chatTemplate(), ins.completionOnlyLoss());
        List<InstructionData.Example> train = examples(s.trainFile(), tok, how), validation;
        if (s.validationFile() != null) {
            validation = examples(s.validationFile(), tok, how);
        } else {
            int held = Math.max(1, train.size() * s.validationSplitPercentage() / 100);
            if (held >= train.size()) {
                throw UserError.of(s.trainFile(), "holds " + train.size() + " example(s): too few to hold " + s.validationSplitPercentage() + "% out for validation",
                        "pass --validation_file or a larger training file");
            }
            validation = new ArrayList<>(train.subList(train.size() - held, train.size()));
            train = new ArrayList<>(train.subList(0, train.size() - held));
        }
        Packing.Result trainRows = rows(s, train, s.maxTrainSamples());
        return new InstructionInputs(Blocks.of(trainRows.rows(), s.blockSize()), Blocks.of(rows(s, validation, s.maxEvalSamples()).rows(), s.blockSize()),
                s.testFile() == null ? null : Blocks.of(rows(s, examples(s.testFile(), tok, how), s.maxEvalSamples()).rows(), s.blockSize()),
                trainRows.truncated());
    }

    /** A validation or test file must be instruction data too (JSONL; {"text"} lines are trained on every token). */
    private static List<InstructionData.Example> examples(Path file, Tokenizer tok, InstructionData.Settings how) {
        TextFiles.requireFile(file);
        if (TextFiles.detect(file) != TextFiles.Format.JSONL) {
            throw UserError.of(file, "is not JSONL, and the training file is instruction data", "give the validation and test files as JSONL too");
        }
        return InstructionData.read(file, tok, how);
    }

    /** The first max examples (0: all), one a row or packed. */
    private static Packing.Result rows(FinetuneSettings s, List<InstructionData.Example> examples, int max) {
        List<InstructionData.Example> kept = max > 0 && max < examples.size() ? examples.subList(0, max) : examples;
        return Packing.rows(kept, s.blockSize(), s.instruction().packing());
    }

    /** The settings a resume must share, beside FinetuneSettings#trajectory's. */
    static void addTrajectory(FinetuneSettings s, Map<String, String> trajectory) {
        FinetuneSettings.Instruction ins = s.instruction();
        trajectory.put("--completion_only_loss", Boolean.toString(ins.completionOnlyLoss()));
        trajectory.put("--packing", Boolean.toString(ins.packing()));
        trajectory.put("--chat_template sha256", ins.chatTemplate() == null ? "the model's" : Hashes.sha256(ins.chatTemplate()));
    }

    RunRecord.Instruction record(FinetuneSettings s) {
        FinetuneSettings.Instruction ins = s.instruction();
        return new RunRecord.Instruction(ins.completionOnlyLoss(), ins.chatTemplate() == null ? null : ins.chatTemplate().toAbsolutePath().toString(),
                ins.packing(), truncated);
    }
}
