package dev.emo.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.el.TruthyTypeConverter;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import jinjava.de.odysseus.el.ExpressionFactoryImpl;
import jinjava.de.odysseus.el.tree.TreeBuilder;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ExpressionFactory;

import java.time.Clock;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Jinjava set up the way Hugging Face renders chat templates (transformers' ImmutableSandboxedEnvironment
 * with trim_blocks and lstrip_blocks, as @huggingface/jinja does too): Python's operator precedence and
 * whitespace control, {@link HfSyntax}'s slices and keyword arguments, {@link PyMethods}' string methods,
 * and the globals and filters transformers adds: {@code raise_exception}, {@code strftime_now},
 * {@code tojson} with Python's separators, {@code trim} on Unicode whitespace. Jinjava itself brings
 * {@code namespace}, {@code loop.*}, {@code break}/{@code continue} and the tests ({@code is defined},
 * {@code is none}, {@code is string} …). One engine serves every template (it holds no per-render state).
 */
public final class HfJinja extends Jinjava {   // public: Jinjava calls the template functions below by reflection
    /** The context key under which a render passes its clock to {@code strftime_now}. */
    static final String CLOCK = "__emo_clock__";

    private final ExpressionFactory expressions;

    HfJinja() {
        super(JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withKeepNullableLoopValues(true)
                        .build())
                .withElResolver(new CompositeELResolver() {
                    {
                        add(new PyMethods());
                        add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
                    }
                })
                .build());
        Properties syntax = new Properties();
        syntax.setProperty(TreeBuilder.class.getName(), HfSyntax.class.getName());
        expressions = new ExpressionFactoryImpl(syntax, new TruthyTypeConverter());
        try {
            registerFunction(new ELFunctionDefinition("", "raise_exception", HfJinja.class.getDeclaredMethod("raiseException", String.class)));
            registerFunction(new ELFunctionDefinition("", "strftime_now", HfJinja.class.getDeclaredMethod("strftimeNow", String.class)));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
        registerFilter(new ToJson());
        registerFilter(new Trim());
    }

    private static final java.util.regex.Pattern GENERATION = java.util.regex.Pattern.compile("(\\s*)\\{%(-?)\\s*(?:end)?generation\\s*(-?)%}(\\s*)");

    /**
     * transformers' {@code {% generation %}} blocks (they mark the assistant's tokens for its own masks) render
     * their body: the tags go, with the whitespace their {@code -} would have trimmed, as @huggingface/jinja does.
     */
    static String withoutGenerationTags(String template) {
        return GENERATION.matcher(template).replaceAll(m -> java.util.regex.Matcher.quoteReplacement(
                (m.group(2).isEmpty() ? m.group(1) : "") + (m.group(3).isEmpty() ? m.group(4) : "")));
    }

    @Override
    public ExpressionFactory getExpressionFactory() {
        return expressions;
    }

    /** What a template's {@code raise_exception(message)} throws: the template refuses the conversation. */
    static final class Raised extends RuntimeException {
        Raised(String message) {
            super(message);
        }
    }

    public static String raiseException(String message) {
        throw new Raised(message);
    }

    /** Python's {@code datetime.now().strftime(format)} on the render's clock. */
    public static String strftimeNow(String format) {
        Object clock = JinjavaInterpreter.getCurrent() == null ? null : JinjavaInterpreter.getCurrent().getContext().get(CLOCK);
        return strftime(ZonedDateTime.now(clock instanceof Clock c ? c : Clock.systemDefaultZone()), format);
    }

    static String strftime(ZonedDateTime t, String format) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                out.append(c);
                continue;
            }
            char code = format.charAt(++i);
            out.append(switch (code) {
                case 'Y' -> String.valueOf(t.getYear());
                case 'y' -> two(t.getYear() % 100);
                case 'm' -> two(t.getMonthValue());
                case 'd' -> two(t.getDayOfMonth());
                case 'b' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
                case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
                case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
                case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
                case 'H' -> two(t.getHour());
                case 'I' -> two((t.getHour() + 11) % 12 + 1);
                case 'p' -> t.getHour() < 12 ? "AM" : "PM";
                case 'M' -> two(t.getMinute());
                case 'S' -> two(t.getSecond());
                case 'j' -> String.format("%03d", t.getDayOfYear());
                case '%' -> "%";
                default -> throw new IllegalArgumentException("strftime_now: the format code %" + code + " is not supported");
            });
        }
        return out.toString();
    }

    private static String two(int v) {
        return v < 10 ? "0" + v : String.valueOf(v);
    }

    /** {@code tojson(indent=None)} as transformers writes it: json.dumps with ", " and ": ", non-ASCII kept. */
    static final class ToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
            return PyJson.dumps(var, indent instanceof Number n ? n.intValue() : -1);
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return PyJson.dumps(var, args.length > 0 ? Integer.parseInt(args[0].trim()) : -1);
        }
    }

    /** Jinja's {@code trim} strips Unicode whitespace (Jinjava's strips only ASCII control characters and spaces). */
    static final class Trim implements Filter {
        @Override
        public String getName() {
            return "trim";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return var == null ? null : PyMethods.trimEnd(PyMethods.trimStart(var.toString()));
        }
    }
}
