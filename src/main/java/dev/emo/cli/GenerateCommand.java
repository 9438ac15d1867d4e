package dev.emo.cli;

import dev.emo.generation.Generator;
import dev.emo.generation.Sampling;
import dev.emo.models.CausalLM;
import dev.emo.registry.Models;
import dev.emo.tokenizers.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Continues a prompt, greedily by default or by sampling, and prints the text.")
final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "exported model folder")
    Path model;

    @Option(names = "--adapter", description = "a PEFT LoRA adapter folder (e.g. a LoRA run's best/) applied to --model")
    Path adapter;
    @picocli.CommandLine.Mixin
    BaseDtypeOption baseDtype;

    @Option(names = "--allow_other_base", description = "apply --adapter even if it was trained on another base model (its weights hash differs)")
    boolean allowOtherBase;

    @Option(names = "--prompt", defaultValue = "", description = "text to continue (default: empty, i.e. only the model's BOS)")
    String prompt;

    @Option(names = "--max_new_tokens", defaultValue = "40", description = "default: ${DEFAULT-VALUE}")
    int maxNewTokens;

    @Option(names = "--do_sample", description = "sample instead of greedy decoding")
    boolean sample;

    @Option(names = "--temperature", defaultValue = "1.0", description = "default: ${DEFAULT-VALUE}")
    double temperature;

    @Option(names = "--top_k", defaultValue = "0", description = "0 = no top-k cut (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--top_p", defaultValue = "1.0", description = "1 = no nucleus cut (default: ${DEFAULT-VALUE})")
    double topP;

    @Option(names = "--seed", defaultValue = "42", description = "default: ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--chat", description = "the prompt is one user message in the model's chat template; stops at the model's end-of-turn ids and prints the answer only")
    boolean chat;

    @Option(names = "--chat_template", description = "with --chat: a Jinja chat template file instead of tokenizer_config.json's")
    Path chatTemplate;

    @Override
    public Integer call() {
        // every flag and the prompt's length are checked before the model is loaded
        Sampling s = sample ? new Sampling(false, temperature, topK, topP) : Sampling.GREEDY;
        if (maxNewTokens < 1) throw new dev.emo.UserError("--max_new_tokens " + maxNewTokens + ": must be at least 1");
        int positions = dev.emo.registry.ModelFamilies.config(model).maxPositions();
        dev.emo.lowbit.BaseDType base = baseDtype.resolve(model);
        Tokenizer tok = dev.emo.registry.ModelFamilies.tokenizer(model);
        if (chatTemplate != null && !chat) throw new dev.emo.UserError("--chat_template applies with --chat; add --chat or leave it out");
        int[] ids = chat ? dev.emo.chat.ChatPrompt.ids(model, chatTemplate, tok, prompt) : tok.encode(prompt);
        if (ids.length == 0) ids = new int[]{tok.bosId()};
        int[] stops = chat ? dev.emo.chat.ChatPrompt.endOfTurnIds(model, tok) : new int[]{tok.eosId()};
        if (ids.length + (long) maxNewTokens > positions) {
            throw dev.emo.UserError.of(model.resolve("config.json"), "the prompt's " + ids.length + " tokens + --max_new_tokens "
                    + maxNewTokens + " exceed the model's " + positions + " positions", ids.length >= positions
                    ? "shorten the prompt to fewer than " + positions + " tokens"
                    : "pass --max_new_tokens " + (positions - ids.length) + " or less, or a shorter prompt");
        }
        CausalLM lm = Models.loadWithAdapter(model, adapter, true, allowOtherBase, base).model();
        Generator.Output out = new Generator(lm).generate(java.util.List.of(ids), new Generator.Options(maxNewTokens, s, seed, stops, 1, 0)).get(0);
        if (chat) {   // the answer, as the chat pipeline returns it: without the end-of-turn token
            int n = out.ids().length;
            boolean stopped = n > 0 && java.util.Arrays.stream(stops).anyMatch(id -> id == out.ids()[n - 1]);
            System.out.println(tok.decode(java.util.Arrays.copyOf(out.ids(), stopped ? n - 1 : n)));
            return 0;
        }
        int[] all = new int[ids.length + out.ids().length];
        System.arraycopy(ids, 0, all, 0, ids.length);
        System.arraycopy(out.ids(), 0, all, ids.length, out.ids().length);
        System.out.println(tok.decode(all));
        return 0;
    }
}
