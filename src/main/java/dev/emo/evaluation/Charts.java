package dev.emo.evaluation;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** PNG charts for comparisons (XChart, headless): line charts of named series and bars with error bars. */
public final class Charts {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {}

    /** A named line: x and y of equal length. */
    public record Series(String name, double[] x, double[] y) {}

    public static void lines(Path png, String title, String xLabel, String yLabel, List<Series> series, boolean markers) {
        XYChart chart = new XYChartBuilder().width(900).height(600).title(title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
        for (Series s : series) {
            if (s.x().length == 0) continue;
            XYSeries line = chart.addSeries(s.name(), s.x(), s.y());
            line.setMarker(markers ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        }
        save(chart, png);
    }

    /** One bar per category, with ± error bars. */
    public static void bars(Path png, String title, String yLabel, Map<String, double[]> meanAndError) {
        CategoryChart chart = new CategoryChartBuilder().width(900).height(600).title(title).yAxisTitle(yLabel).build();
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setErrorBarsColor(java.awt.Color.BLACK);
        List<String> names = List.copyOf(meanAndError.keySet());
        List<Double> means = names.stream().map(n -> meanAndError.get(n)[0]).toList();
        List<Double> errors = names.stream().map(n -> meanAndError.get(n)[1]).toList();
        chart.addSeries(yLabel, names, means, errors);
        save(chart, png);
    }

    /** Categories along x, one bar per series in each (e.g. tasks × models); yMax null: automatic. */
    public static void groupedBars(Path png, String title, String xLabel, String yLabel, List<String> categories,
                                   Map<String, List<Double>> series, Double yMax) {
        CategoryChart chart = new CategoryChartBuilder().width(1000).height(500).title(title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
        chart.getStyler().setYAxisMin(0.0);
        if (yMax != null) chart.getStyler().setYAxisMax(yMax);
        series.forEach((name, values) -> chart.addSeries(name, categories, values));
        save(chart, png);
    }

    /** Written beside the target and renamed, so a failure leaves no half-written PNG. */
    private static void save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path png) {
        Path target = png.toAbsolutePath();
        String base = target.toString().replaceFirst("\\.png$", "");
        Path tmp = Path.of(base + ".tmp.png");                // BitmapEncoder appends the extension
        try {
            Files.createDirectories(target.getParent());
            BitmapEncoder.saveBitmap(chart, base + ".tmp", BitmapEncoder.BitmapFormat.PNG);
            Files.move(tmp, Path.of(base + ".png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
