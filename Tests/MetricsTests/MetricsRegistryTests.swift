import Metrics
import Testing

@Suite struct MetricsRegistryTests {
    @Test func countersRenderWithHelpTypeAndLabelsInRegistrationOrder() {
        let metrics = MetricsRegistry()
        metrics.counter("b_total", help: "Second family.").increment(by: 3)
        let first = metrics.counter("a_total", help: "Requests.", labels: [("route", "/x"), ("status", "200")])
        first.increment()
        first.increment()
        metrics.counter("a_total", help: "ignored", labels: [("route", "/y"), ("status", "404")]).increment()
        #expect(metrics.render() == """
            # HELP b_total Second family.
            # TYPE b_total counter
            b_total 3
            # HELP a_total Requests.
            # TYPE a_total counter
            a_total{route="/x",status="200"} 2
            a_total{route="/y",status="404"} 1

            """)
    }

    @Test func theSameNameAndLabelsAreTheSameSeries() {
        let metrics = MetricsRegistry()
        metrics.counter("hits_total", help: "h", labels: [("k", "v")]).increment()
        metrics.counter("hits_total", help: "h", labels: [("k", "v")]).increment()
        #expect(metrics.counter("hits_total", help: "h", labels: [("k", "v")]).value == 2)
        #expect(metrics.counter("hits_total", help: "h", labels: [("k", "w")]).value == 0)
    }

    @Test func negativeIncrementsAreIgnoredSoACounterNeverDecreases() {
        let counter = MetricsRegistry().counter("c_total", help: "c")
        counter.increment(by: 5)
        counter.increment(by: -3)
        #expect(counter.value == 5)
    }

    @Test func histogramBucketsAreCumulativeWithInfSumAndCount() {
        let metrics = MetricsRegistry()
        let histogram = metrics.histogram("latency_seconds", help: "L.", buckets: [0.5, 0.1, 1], labels: [("route", "/r")])
        for value in [0.05, 0.1, 0.3, 0.7, 5.0] { histogram.observe(value) }
        #expect(metrics.render() == """
            # HELP latency_seconds L.
            # TYPE latency_seconds histogram
            latency_seconds_bucket{route="/r",le="0.1"} 2
            latency_seconds_bucket{route="/r",le="0.5"} 3
            latency_seconds_bucket{route="/r",le="1"} 4
            latency_seconds_bucket{route="/r",le="+Inf"} 5
            latency_seconds_sum{route="/r"} 6.15
            latency_seconds_count{route="/r"} 5

            """)
    }

    @Test func durationsAreObservedInSeconds() {
        let metrics = MetricsRegistry()
        metrics.histogram("d_seconds", help: "d", buckets: [0.01]).observe(Duration.milliseconds(4))
        #expect(metrics.render().contains("d_seconds_bucket{le=\"0.01\"} 1\n"))
        #expect(metrics.render().contains("d_seconds_sum 0.004\n"))
    }

    @Test func sampledValuesAreReadAtRenderTime() {
        let metrics = MetricsRegistry()
        let source = MetricsRegistry().counter("source_total", help: "s")
        metrics.sampled("modules_loaded_total", help: "Loaded.", kind: .counter) { Double(source.value) }
        source.increment(by: 7)
        #expect(metrics.render().contains("# TYPE modules_loaded_total counter\nmodules_loaded_total 7\n"))
    }

    @Test func labelValuesAndHelpAreEscaped() {
        let metrics = MetricsRegistry()
        metrics.counter("e_total", help: "back\\slash\nnewline", labels: [("v", "a\"b\\c\nd")]).increment()
        #expect(metrics.render() == """
            # HELP e_total back\\\\slash\\nnewline
            # TYPE e_total counter
            e_total{v="a\\"b\\\\c\\nd"} 1

            """)
    }

    @Test func concurrentIncrementsAreAllCounted() async {
        let metrics = MetricsRegistry()
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for _ in 0..<1000 {
                        metrics.counter("n_total", help: "n", labels: [("w", String(worker % 2))]).increment()
                    }
                }
            }
        }
        let total = metrics.counter("n_total", help: "n", labels: [("w", "0")]).value + metrics.counter("n_total", help: "n", labels: [("w", "1")]).value
        #expect(total == 8000)
    }
}
