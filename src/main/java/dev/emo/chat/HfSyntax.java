package dev.emo.chat;

import com.hubspot.jinjava.el.ExtendedSyntaxBuilder;
import com.hubspot.jinjava.el.ext.AstRangeBracket;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import com.hubspot.jinjava.el.ext.NamedParameterOperator;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import jinjava.de.odysseus.el.tree.Bindings;
import jinjava.de.odysseus.el.tree.impl.Parser;
import jinjava.de.odysseus.el.tree.impl.Parser.ParseException;
import jinjava.de.odysseus.el.tree.impl.Scanner.ScanException;
import jinjava.de.odysseus.el.tree.impl.Scanner.Symbol;
import jinjava.de.odysseus.el.tree.impl.ast.AstBinary;
import jinjava.de.odysseus.el.tree.impl.ast.AstDot;
import jinjava.de.odysseus.el.tree.impl.ast.AstIdentifier;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.de.odysseus.el.tree.impl.ast.AstParameters;
import jinjava.de.odysseus.el.tree.impl.ast.AstUnary;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static jinjava.de.odysseus.el.tree.impl.Builder.Feature.METHOD_INVOCATIONS;
import static jinjava.de.odysseus.el.tree.impl.Builder.Feature.NULL_PROPERTIES;

/**
 * Jinjava's expression syntax with what Python's Jinja has and Jinjava's parser lacks, all used by Hugging
 * Face chat templates. Installed by {@link HfJinja}.
 * <ul>
 * <li>slices with a step: {@code messages[::-1]} (Qwen's reversed loop);</li>
 * <li>keyword arguments whose value is a whole expression: {@code namespace(i=messages|length - 1)},
 *     which Jinjava would read as {@code (i=messages|length) - 1};</li>
 * <li>{@code not} below comparisons and tests: {@code not date_string is defined} (Llama 3.1's) is
 *     {@code not (date_string is defined)}, where Jinjava would ask whether {@code not date_string} is defined;</li>
 * <li>{@code and} giving an operand, not a boolean: {@code loop.last and 'x' or ''} (Jinjava's {@code or} already does);</li>
 * <li>an unknown filter or test is an error, where Jinjava would skip the filter or call the test false.</li>
 * </ul>
 */
public final class HfSyntax extends ExtendedSyntaxBuilder {
    private static final long serialVersionUID = 1L;

    public HfSyntax() {
        super();
    }

    public HfSyntax(Feature... features) {
        super(features);
    }

    @Override
    protected Parser createParser(String expression) {
        return new HfParser(this, expression);
    }

    static final class HfParser extends ExtendedParser {
        HfParser(HfSyntax builder, String input) {
            super(builder, input);
        }

        /** A filter or test the engine does not have: an error, as in Python's Jinja. */
        @Override
        protected AstDot createAstDot(AstNode base, String property, boolean lvalue) {
            if (base instanceof AstIdentifier id && JinjavaInterpreter.getCurrent() != null) {
                var context = JinjavaInterpreter.getCurrent().getContext();
                String name = id.getName();
                if (name.startsWith(FILTER_PREFIX) && context.getFilter(name.substring(FILTER_PREFIX.length())) == null)
                    throw new ELException("unknown filter '" + name.substring(FILTER_PREFIX.length()) + "'");
                if (name.startsWith(EXPTEST_PREFIX) && context.getExpTest(name.substring(EXPTEST_PREFIX.length())) == null)
                    throw new ELException("unknown test '" + name.substring(EXPTEST_PREFIX.length()) + "'");
            }
            return super.createAstDot(base, property, lvalue);
        }

        @Override
        protected AstBinary createAstBinary(AstNode left, AstNode right, AstBinary.Operator operator) {
            return super.createAstBinary(left, right, operator == AstBinary.AND ? PY_AND : operator);
        }

        /** Python's {@code not}: it negates the comparison or test that follows. */
        @Override
        protected AstNode eq(boolean required) throws ScanException, ParseException {
            if (getToken().getSymbol() != Symbol.NOT) return super.eq(required);
            consumeToken();
            return createAstUnary(eq(true), AstUnary.NOT);
        }

        /** {@code name=expr} takes the whole expression; anything else as Jinjava parses it. */
        @Override
        protected AstParameters params(Symbol left, Symbol right) throws ScanException, ParseException {
            consumeToken(left);
            List<AstNode> l = Collections.emptyList();
            AstNode v = argument(false);
            if (v != null) {
                l = new ArrayList<>();
                l.add(v);
                while (getToken().getSymbol() == Symbol.COMMA) {
                    consumeToken();
                    l.add(argument(true));
                }
            }
            consumeToken(right);
            return createAstParameters(l);
        }

        private AstNode argument(boolean required) throws ScanException, ParseException {
            if (getToken().getSymbol() == Symbol.IDENTIFIER && lookahead(0).getSymbol() == Symbol.EXTENSION
                    && NamedParameterOperator.TOKEN.getImage().equals(lookahead(0).getImage())) {
                AstNode name = identifier(consumeToken().getImage());
                consumeToken();
                return NamedParameterOperator.HANDLER.createAstNode(name, expr(true));
            }
            return expr(required);
        }

        /**
         * Jinjava's value() (2.8.x, natural operator precedence, which {@link HfJinja} turns on) with a
         * third slice part; kept in step with ExtendedParser.value() otherwise.
         */
        @Override
        protected AstNode value() throws ScanException, ParseException {
            boolean lvalue = true;
            AstNode v = nonliteral();
            if (v == null) {
                v = literal();
                if (v == null) return null;
                lvalue = false;
            }
            while (true) {
                switch (getToken().getSymbol()) {
                    case DOT -> {
                        consumeToken();
                        var dot = createAstDot(v, consumeToken(Symbol.IDENTIFIER).getImage(), lvalue);
                        v = getToken().getSymbol() == Symbol.LPAREN && context.isEnabled(METHOD_INVOCATIONS) ? createAstMethod(dot, params()) : dot;
                    }
                    case LBRACK -> {
                        consumeToken();
                        AstNode start = expr(false);
                        boolean strict = !context.isEnabled(NULL_PROPERTIES);
                        var next = consumeToken();
                        if (next.getSymbol() == Symbol.COLON) {
                            AstNode stop = expr(false), step = null;
                            if (getToken().getSymbol() == Symbol.COLON) {
                                consumeToken();
                                step = expr(false);
                            }
                            consumeToken(Symbol.RBRACK);
                            v = step == null ? createAstRangeBracket(v, start, stop, lvalue, strict) : new SteppedSlice(v, start, stop, step, lvalue, strict);
                        } else if (next.getSymbol() == Symbol.RBRACK) {
                            var bracket = createAstBracket(v, start, lvalue, strict);
                            v = getToken().getSymbol() == Symbol.LPAREN && context.isEnabled(METHOD_INVOCATIONS) ? createAstMethod(bracket, params()) : bracket;
                        } else {
                            fail(Symbol.RBRACK);
                        }
                    }
                    default -> {
                        return v;
                    }
                }
            }
        }
    }

    /** {@code a and b}: a where a is false (Python's truth), else b. */
    static final AstBinary.Operator PY_AND = new AstBinary.Operator() {
        @Override
        public Object eval(Bindings bindings, ELContext context, AstNode left, AstNode right) {
            Object a = left.eval(bindings, context);
            return bindings.convert(a, Boolean.class) ? right.eval(bindings, context) : a;
        }

        @Override
        public String toString() {
            return "&&";
        }
    };

    /** {@code seq[start:stop:step]} with Python's meaning, on lists and strings. */
    static final class SteppedSlice extends AstRangeBracket {
        private final AstNode step;

        SteppedSlice(AstNode base, AstNode start, AstNode stop, AstNode step, boolean lvalue, boolean strict) {
            super(base, start, stop, lvalue, strict, false);
            this.step = step;
        }

        @Override
        public Object eval(Bindings bindings, ELContext context) {
            Object base = prefix.eval(bindings, context);
            List<?> items;
            if (base instanceof String s) items = s.codePoints().mapToObj(Character::toString).toList();
            else if (base instanceof Iterable<?> it) {
                List<Object> copy = new ArrayList<>();
                it.forEach(copy::add);
                items = copy;
            } else throw new ELException("a slice of " + (base == null ? "none" : base.getClass().getSimpleName()) + ", which is not a sequence");
            int n = items.size();
            int by = index(step, bindings, context, 1);
            if (by == 0) throw new ELException("slice step cannot be zero");
            int from = bound(index(property, bindings, context, by > 0 ? 0 : n - 1), n, by);
            int to = rangeMax == null ? (by > 0 ? n : -1) : bound(index(rangeMax, bindings, context, 0), n, by);
            List<Object> out = new ArrayList<>();
            for (int i = from; by > 0 ? i < to : i > to; i += by) out.add(items.get(i));
            if (base instanceof String) return String.join("", out.stream().map(Object::toString).toList());
            return out;
        }

        private static int index(AstNode node, Bindings bindings, ELContext context, int absent) {
            if (node == null) return absent;
            Object v = node.eval(bindings, context);
            if (v == null) return absent;
            if (!(v instanceof Number num)) throw new ELException("slice index " + v + " is not a number");
            return num.intValue();
        }

        /** Python's clamping of a given slice index (negative counts from the end). */
        private static int bound(int i, int n, int step) {
            if (i < 0) i += n;
            if (step > 0) return Math.max(0, Math.min(i, n));
            return Math.max(-1, Math.min(i, n - 1));
        }
    }
}
