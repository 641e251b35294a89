wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.body = '{"category":"segreteria","privacy_notice_version":1,"subject":"Benchmark: piano di studio","body":"Buongiorno, vorrei sapere come modificare il piano di studio.","fields":{"matricola":"1012345","course":"Ingegneria","topic":"altro"}}'
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50=%.2fms p99=%.2fms non2xx=%d errors=%d\n", summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
