package dev.emo.models;

import dev.emo.UserError;

import java.util.List;

/**
 * LoRA adapters as PEFT defines them: for each targeted Linear (PEFT's target_modules: a module
 * name or the last part of its path), W stays frozen and y = x·Wᵀ + (α/r)·dropout(x)·Aᵀ·Bᵀ with
 * A [r, in] (Kaiming-uniform, bound 1/√in) and B [out, r] (zeros), so training starts from the base
 * model exactly. GPT-2's Conv1D stores W as [in, out] (PEFT's fan_in_fan_out); A and B keep the
 * same shapes, and merging adds (α/r)·(B·A)ᵀ there.
 *
 * @param dropout PEFT's lora_dropout on the adapter's input while training (0: none)
 */
public record LoraSpec(int r, double alpha, double dropout, List<String> targetModules) implements java.io.Serializable {
    public LoraSpec {
        if (r < 1) throw new UserError("--lora_r " + r + ": must be at least 1");
        if (!(alpha > 0 && Double.isFinite(alpha))) throw new UserError("--lora_alpha " + alpha + ": must be a finite number > 0");
        if (!(dropout >= 0 && dropout < 1)) throw new UserError("--lora_dropout " + dropout + ": must be in [0, 1)");
        if (targetModules == null || targetModules.isEmpty() || targetModules.stream().anyMatch(t -> t == null || t.isBlank())) {
            throw new UserError("--lora_target_modules: empty; name the Linear modules to adapt (e.g. q_proj,v_proj)");
        }
        targetModules = List.copyOf(targetModules);
    }

    /** PEFT's scaling α/r. */
    public double scale() {
        return alpha / r;
    }

    /** Whether the weight (by Hugging Face name, "….q_proj.weight") belongs to a targeted module. */
    public boolean targets(String weightName) {
        if (!weightName.endsWith(".weight")) return false;
        String module = weightName.substring(0, weightName.length() - ".weight".length());
        return targetModules.stream().anyMatch(t -> module.equals(t) || module.endsWith("." + t));
    }

    /** The module of a targeted weight ("model.layers.0.self_attn.q_proj"). */
    public static String module(String weightName) {
        return weightName.substring(0, weightName.length() - ".weight".length());
    }
}
