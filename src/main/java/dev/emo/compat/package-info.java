/**
 * Every workaround for a DeepLearning4J / ND4J 1.0.0-M2.1 behaviour, in one place, each with a
 * test in {@code compat.UpstreamBehaviourTest} that needs no fixture and asserts the upstream
 * behaviour itself, so that after a DL4J upgrade the failing tests name the workarounds that can go:
 * <ul>
 *   <li>{@link dev.emo.compat.ExternalGradient#feedPoint}: the external-gradient hook doubles the
 *       fed gradient (add(g, g) in the gradient function);</li>
 *   <li>{@link dev.emo.compat.ExternalGradient#createGradFunctionQuietly}: building a gradient
 *       function prints every differentiated op to System.out;</li>
 *   <li>{@link dev.emo.compat.GatherRows}: gather's gradient is silently wrong for reshaped indices
 *       (and libnd4j's unlocked scatter_add loses updates to repeated indices);</li>
 *   <li>{@link dev.emo.compat.LayerNorm}: the native layer_norm has no epsilon (behaves as ~0);</li>
 *   <li>a graph output reshaped after the logits is taken for a second loss when the loss gradient
 *       is fed from outside: the models' graphs end at the 2-D logits [N, V]
 *       ({@code models.CausalLM#head});</li>
 *   <li>memory: JavaCPP caps physical bytes by default (2 × the heap) and stalls in GC near the cap,
 *       counting freed-but-cached malloc memory; {@code run.sh} passes
 *       {@code -Dorg.bytedeco.javacpp.maxphysicalbytes=0 -Dorg.bytedeco.javacpp.maxbytes=0}, and
 *       embedding applications should pass the same. SameDiff's array-cache memory manager was 1.6×
 *       slower than plain allocation; the models run on {@code execution.GraphExecutor} instead.</li>
 * </ul>
 */
package dev.emo.compat;
