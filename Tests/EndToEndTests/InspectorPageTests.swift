import Dispatch
import Foundation
import Glibc
import HookRelay
import Testing
import TestSupport

private let inspectorSecret = "whsec_inspector_\(UUID().uuidString.prefix(8))"

/// The headless browser the inspector test drives: `$HOOKRELAY_CHROMIUM`, else Debian's `chromium`, else nothing (the
/// browser test is skipped and says so).
private let chromiumPath: String? = {
    if let path = ProcessInfo.processInfo.environment["HOOKRELAY_CHROMIUM"], !path.isEmpty { return path }
    return ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { access($0, X_OK) == 0 }
}()

/// `stripe`: invoice.paid goes to `ok` (200), invoice.payment_failed to `gone` (410, so dead at once). `open` is unsigned
/// and goes to `ok`.
private func inspectorRoutes(ok: TestSink, gone: TestSink) -> String {
    """
    {
      "sources": [
        { "name": "stripe", "provider": "stripe", "secrets": ["env:HOOKRELAY_INSPECTOR_TEST_STRIPE"] },
        { "name": "open", "provider": "none" }
      ],
      "destinations": [
        { "name": "ok", "kind": "http", "url": "\(ok.url())" },
        { "name": "gone", "kind": "http", "url": "\(gone.url())" }
      ],
      "routes": [
        { "name": "paid", "from": ["stripe"], "to": ["ok"], "when": { "type": ["invoice.paid"] } },
        { "name": "failed", "from": ["stripe"], "to": ["gone"], "when": { "type": ["invoice.payment_failed"] } },
        { "name": "open", "from": ["open"], "to": ["ok"] }
      ]
    }
    """
}

/// A Stripe event whose description is markup (attacker-controlled text the page must show as text).
private func stripeEvent(_ id: String, type: String) -> [UInt8] {
    Array(#"""
        {"id":"\#(id)","object":"event","created":1767225590,"type":"\#(type)","data":{"object":{"id":"in_\#(id)",\#
        "description":"<img src=x onerror=alert(1)></script><script>alert(2)</script>"}}}
        """#.utf8)
}

private func stripeSignature(_ body: [UInt8]) throws -> String {
    let t = Int64(Date().timeIntervalSince1970)
    let key = try HMACKey(algorithm: .sha256, key: Array(inspectorSecret.utf8))
    return "t=\(t),v1=\(Hex.encode(key.authenticationCode(for: "\(t)", ".", body)))"
}

@Suite(.timeLimit(.minutes(3)))
struct InspectorPageTests {
    @Test func servesTheSelfContainedPageWithoutATokenUnderAStrictPolicy() throws {
        let ok = try TestSink(status: 200), gone = try TestSink(status: 410)
        let token = "inspector-token-\(UUID().uuidString)"
        let server = try OpsServer(routesJSON: inspectorRoutes(ok: ok, gone: gone),
                                   environment: ["HOOKRELAY_INSPECTOR_TEST_STRIPE": inspectorSecret, "HOOKRELAY_ADMIN_TOKEN": token])
        for path in ["/", "/inspector"] {
            let page = try server.admin("GET", path)
            #expect(page.status == 200, "\(path): the page holds no data and needs no token")
            #expect(page.header("Content-Type") == "text/html; charset=utf-8")
            #expect(page.header("X-Content-Type-Options") == "nosniff")
            #expect(page.header("X-Frame-Options") == "DENY")
            #expect(page.header("Cache-Control") == "no-store")
            let policy = try #require(page.header("Content-Security-Policy"))
            #expect(policy.hasPrefix("default-src 'none'; "))
            #expect(!policy.contains("unsafe"), "no 'unsafe-inline' or 'unsafe-eval'")
            #expect(policy.contains("connect-src 'self'") && policy.contains("frame-ancestors 'none'"))
            // The policy allows exactly the page's own inline script and style, by hash.
            let html = page.text
            for (open, close, directive) in [("<script>", "</script>", "script-src"), ("<style>", "</style>", "style-src")] {
                let start = try #require(html.range(of: open)).upperBound
                let end = try #require(html.range(of: close, range: start..<html.endIndex)).lowerBound
                let hash = "'sha256-" + Data(sha256(Array(html[start..<end].utf8))).base64EncodedString() + "'"
                #expect(policy.contains("\(directive) \(hash)"), "\(directive) in \(policy)")
            }
            #expect(!html.contains("innerHTML") && !html.contains("outerHTML") && !html.contains("insertAdjacentHTML"))
            #expect(!html.contains("src=\"http") && !html.contains("href=\"http"), "no external assets")
            #expect(html.components(separatedBy: "<script").count == 2, "one inline script, nothing loaded")
        }
        #expect(try server.admin("HEAD", "/").status == 200)
        #expect(try server.admin("POST", "/").status == 401, "only GET and HEAD of the page skip the token")
        #expect(try server.admin("POST", "/", token: token).status == 405)
        #expect(try server.admin("GET", "/inspector/x").status == 401)
        #expect(try server.admin("GET", "/api/events").status == 401, "the data still needs the token")
        server.stop()
    }

    @Test(.enabled(if: chromiumPath != nil, "chromium is not installed (apt-get install chromium): the inspector's browser test is skipped"))
    func showsEventsDeliveriesAndReplayButtonsInARealBrowser() throws {
        let browser = try #require(chromiumPath)
        let ok = try TestSink(status: 200), gone = try TestSink(status: 410)
        let token = "inspector+token/\(UUID().uuidString)"
        let server = try OpsServer(routesJSON: inspectorRoutes(ok: ok, gone: gone),
                                   environment: ["HOOKRELAY_INSPECTOR_TEST_STRIPE": inspectorSecret, "HOOKRELAY_ADMIN_TOKEN": token])
        let paid = stripeEvent("evt_i1", type: "invoice.paid")
        #expect(try server.postStripe(paid, signature: try stripeSignature(paid)).status == 200)
        let failed = stripeEvent("evt_i2", type: "invoice.payment_failed")
        let failedAnswer = try server.postStripe(failed, signature: try stripeSignature(failed))
        #expect(failedAnswer.status == 200)
        let deadEventID = try #require(
            (try JSONSerialization.jsonObject(with: Data(failedAnswer.body)) as? [String: Any])?["id"] as? String)
        #expect(try server.post("/hooks/open", body: Array(#"{"hello":"<b>world</b>"}"#.utf8)).status == 200)
        #expect(try eventually { try server.statusCounts() == [.delivered: 2, .dead: 1] }, "\(server.describeStatuses())")
        let deadDelivery = try #require(try server.deliveries(DeliveryFilter(statuses: [.dead])).first)

        let output = try TemporaryDirectory("hookrelay-inspector-output")  // kept: the screenshot is for people
        let base = "http://127.0.0.1:\(server.adminPort)/"
        let fragment = "#token=\(percentEncoded(token))&event=\(deadEventID)"
        let dom = try runChromium(browser, ["--dump-dom", base + fragment], profile: output.file("profile-1"))

        #expect(dom.components(separatedBy: "class=\"event-row").count - 1 == 3, "three event rows:\n\(dom)")
        #expect(dom.contains(#"id="event-detail" data-event-id="\#(deadEventID)""#), "the selected event is shown")
        #expect(dom.contains(#"<pre id="envelope">"#) && dom.contains(#""providereventid": "evt_i2""#), "its envelope")
        #expect(dom.contains(#"<table id="request-headers">"#) && dom.contains("Stripe-Signature"), "its raw request headers")
        #expect(dom.contains(#"<pre id="request-body">"#))
        #expect(dom.contains(#"class="delivery" data-delivery-id="\#(deadDelivery.id)" data-status="dead""#), "the dead delivery")
        let lastError = try #require(deadDelivery.lastError)
        #expect(dom.contains(#"<p class="last-error">\#(escapedHTML(lastError))</p>"#), "its error: \(lastError)")
        #expect(dom.contains(#"class="attempt-error""#) && dom.contains("<td>410</td>"), "its attempt")
        #expect(dom.contains(#"class="replay-delivery" data-delivery-id="\#(deadDelivery.id)""#), "a replay button for it")
        #expect(dom.contains(#"id="bulk-replay""#), "a bulk replay button")
        // Attacker-controlled payloads are text, never markup.
        #expect(dom.contains("&lt;img src=x onerror=alert(1)&gt;&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;"))
        #expect(!dom.contains("<img src=x") && !dom.contains("<script>alert"))
        #expect(!dom.contains(token), "the token is not left in the page")
        #expect(dom.contains(#"<section id="login" hidden="">"#), "no login prompt with the right token")

        let screenshot = output.file("inspector.png")
        _ = try runChromium(browser, ["--screenshot=\(screenshot)", "--window-size=1400,1000", base + fragment], profile: output.file("profile-2"))
        #expect(FileManager.default.fileExists(atPath: screenshot))
        print("inspector screenshot: \(screenshot)")

        // A wrong token gets the login prompt, not data.
        let refused = try runChromium(browser, ["--dump-dom", base + "#token=wrong"], profile: output.file("profile-3"))
        #expect(refused.contains(#"<section id="login">"#) && refused.contains("The token was refused"), "\(refused)")
        #expect(!refused.contains("class=\"event-row"))

        // The buttons, clicked in the browser (DevTools protocol over a pipe, driven by a standard-library Python script).
        let button = #"document.querySelector('button.replay-delivery[data-delivery-id="\#(deadDelivery.id)"]')"#
        let steps: [[String: String]] = [
            ["until": "\(button) !== null"],
            ["do": "\(button).click()", "until": "document.querySelector('.replay-result').textContent"],
            // Re-select the event until the replayed delivery has died again (a second 410).
            ["until": "document.querySelector('tr.event-row.selected').click(), "
                + "document.querySelector('.delivery[data-status=\"dead\"]')?.textContent.includes('2 attempts')"],
            ["do": "document.getElementById('f-status').value = 'dead'; document.getElementById('bulk-replay').click()",
             "until": "!document.getElementById('bulk-confirm').hidden && document.getElementById('message').textContent"],
            ["do": "document.getElementById('bulk-confirm').click()",
             "until": "document.getElementById('message').textContent.startsWith('Requeued') && document.getElementById('message').textContent"],
        ]
        let clicked = try driveChromium(browser, url: base + fragment, steps: steps, in: output)
        #expect(clicked.count == steps.count, "\(clicked)")
        #expect(clicked.dropFirst().first as? String == "requeued")
        #expect(clicked.dropFirst(3).first as? String == "1 dead delivery would be put back to pending.")
        #expect(clicked.dropFirst(4).first as? String == "Requeued 1 dead delivery.")
        #expect(gone.waitForRequests(3), "the delivery went out again after each replay")
        #expect(try eventually { try server.deliveries(DeliveryFilter(statuses: [.dead])).first?.attempts == 3 })
        server.stop()
    }
}

/// Runs `steps` in a page of headless Chromium through the DevTools protocol (`--remote-debugging-pipe`, driven by a
/// Python script that needs only the standard library): for each step, evaluates `do`, then polls `until` (every
/// 100 ms, up to 20 s) and records its last value; stops at the first step that never became truthy.
private func driveChromium(_ browser: String, url: String, steps: [[String: String]], in directory: TemporaryDirectory) throws -> [Any] {
    let script = directory.file("cdp.py")
    try devToolsScript.write(toFile: script, atomically: true, encoding: .utf8)
    let stepsJSON = String(decoding: try JSONSerialization.data(withJSONObject: steps), as: UTF8.self)
    let (status, output) = try runProgram("/usr/bin/env", ["python3", script, browser, directory.file("profile-cdp"), url, stepsJSON])
    defer { try? FileManager.default.removeItem(atPath: directory.file("profile-cdp")) }
    try #require(status == 0, "\(output)")
    let line = output.split(separator: "\n").last.map(String.init) ?? ""
    return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [Any], "\(output)")
}

private let devToolsScript = #"""
import json, os, subprocess, sys, time
# Drives headless Chromium over --remote-debugging-pipe (fd 3: commands in, fd 4: replies out; NUL-separated JSON).
# argv: browser, profile dir, url, steps (JSON list of {"do": js, "until": js}); prints one JSON list of results.
browser, profile, url, steps = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
to_r, to_w = os.pipe()
from_r, from_w = os.pipe()
def child():
    # Through fresh descriptors first: os.pipe() may have returned 3 or 4 itself, and dup2 onto the same number would
    # leave it close-on-exec.
    commands, replies = os.dup(to_r), os.dup(from_w)
    os.dup2(commands, 3)
    os.dup2(replies, 4)
proc = subprocess.Popen([browser, '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
                         '--user-data-dir=' + profile, '--remote-debugging-pipe', 'about:blank'],
                        preexec_fn=child, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.close(to_r); os.close(from_w)
buffer = b''
next_id = 0
def call(method, params=None, session=None):
    global buffer, next_id
    next_id += 1
    message = {'id': next_id, 'method': method, 'params': params or {}}
    if session: message['sessionId'] = session
    os.write(to_w, json.dumps(message).encode() + b'\0')
    while True:
        while b'\0' not in buffer:
            chunk = os.read(from_r, 65536)
            if not chunk: raise SystemExit('chromium closed the pipe')
            buffer += chunk
        raw, buffer = buffer.split(b'\0', 1)
        reply = json.loads(raw)
        if reply.get('id') == next_id:
            if 'error' in reply: raise SystemExit(method + ': ' + json.dumps(reply['error']))
            return reply['result']
def evaluate(session, js):
    result = call('Runtime.evaluate', {'expression': js, 'returnByValue': True, 'awaitPromise': True}, session)
    if 'exceptionDetails' in result: raise SystemExit('script failed: ' + json.dumps(result['exceptionDetails']))
    return result['result'].get('value')
try:
    target = call('Target.createTarget', {'url': url})['targetId']
    session = call('Target.attachToTarget', {'targetId': target, 'flatten': True})['sessionId']
    results = []
    for step in steps:
        if step.get('do'): evaluate(session, step['do'])
        deadline = time.time() + 20
        value = evaluate(session, step['until'])
        while not value and time.time() < deadline:
            time.sleep(0.1)
            value = evaluate(session, step['until'])
        results.append(value)
        if not value: break
    print(json.dumps(results))
finally:
    try: call('Browser.close')
    except BaseException: pass
    try: proc.wait(timeout=10)
    except subprocess.TimeoutExpired: proc.kill()
"""#

/// Percent-encodes everything but unreserved characters (for a URL fragment).
private func percentEncoded(_ text: String) -> String {
    let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
    return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
}

/// Text as an HTML serializer writes it inside an element.
private func escapedHTML(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        .replacingOccurrences(of: "\u{A0}", with: "&nbsp;")
}

/// Runs headless Chromium on `arguments` with a fresh profile and enough virtual time for the page's API calls; returns
/// its standard output (the DOM for `--dump-dom`). Output goes to files, not pipes, so a helper process that keeps them
/// open cannot hang the test; killed after 90 s.
private func runChromium(_ path: String, _ arguments: [String], profile: String) throws -> String {
    let outPath = profile + ".stdout", errPath = profile + ".stderr"
    defer { try? FileManager.default.removeItem(atPath: profile) }
    for file in [outPath, errPath] { _ = FileManager.default.createFile(atPath: file, contents: nil) }
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    defer {
        try? out.close()
        try? err.close()
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                         "--no-default-browser-check", "--disable-extensions", "--user-data-dir=\(profile)",
                         "--virtual-time-budget=15000"] + arguments
    process.standardOutput = out
    process.standardError = err
    let exited = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in exited.signal() }
    try process.run()
    if exited.wait(timeout: .now() + 90) == .timedOut {
        process.terminate()
        throw TestClientError("chromium did not finish within 90 s")
    }
    let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    if process.terminationStatus != 0 {
        let log = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        throw TestClientError("chromium exited \(process.terminationStatus):\n\(log)")
    }
    return text
}
