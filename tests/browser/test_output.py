"""The phone's spoken-output queue (static/js/output.js) in real Chromium: priorities, nothing cut off, stale
"prepare" messages dropped, server audio falling back to the device voice, and live-region lines kept until read."""

from __future__ import annotations

# Runs the real Output in the page with the page's live regions and the given output setting; records what the
# device voice was asked to say and whether anything was cancelled (browser APIs observed, our code untouched).
SETUP = """async (output) => {
  const { Output } = await import('/static/js/output.js');
  window.__spoken = []; window.__cancelled = 0; window.__region = [];
  // One observer over both live regions: what a screen reader is given, in the order given.
  new MutationObserver((records) => {
    for (const record of records) for (const node of record.addedNodes) window.__region.push(node.textContent);
  }).observe(document.body, { childList: true, subtree: true });
  const speak = speechSynthesis.speak.bind(speechSynthesis);
  speechSynthesis.speak = (utterance) => {
    window.__spoken.push(utterance.text);
    speak(utterance);
    setTimeout(() => utterance.dispatchEvent(new Event('end')), 50);  // headless Chromium has no voice to finish
  };
  const cancel = speechSynthesis.cancel.bind(speechSynthesis);
  speechSynthesis.cancel = () => { window.__cancelled += 1; cancel(); };
  window.__output = new Output({
    polite: document.getElementById('live-polite'), assertive: document.getElementById('live-assertive'),
    settings: () => ({ output, rate: 1 }),
  });
}"""


def test_warnings_and_now_go_first_and_nothing_is_pushed_out_before_read(open_app):
    page = open_app("de")
    page.evaluate(SETUP, "screenreader")
    page.evaluate("""() => {
      for (let n = 1; n <= 3; n++) window.__output.say(`Vorbereitung ${n}`, { kind: 'prepare' });
      window.__output.say('Landmarke', { kind: 'info' });
      window.__output.say('Jetzt rechts', { kind: 'now' });
      window.__output.say('Gebiet', { kind: 'info' });
      window.__output.say('Achtung Kreuzung', { kind: 'warning' });
      for (let n = 4; n <= 5; n++) window.__output.say(`Vorbereitung ${n}`, { kind: 'prepare' });
    }""")
    page.wait_for_function("window.__region.length >= 9")
    texts = page.evaluate("window.__region")
    assert texts[:2] == ["Jetzt rechts", "Achtung Kreuzung"]  # urgent first, in the order they came
    assert texts[2:] == ["Vorbereitung 1", "Vorbereitung 2", "Vorbereitung 3", "Landmarke", "Gebiet",
                         "Vorbereitung 4", "Vorbereitung 5"]
    kept = page.evaluate("[...document.querySelectorAll('#live-polite p, #live-assertive p')].length")
    assert kept >= 9  # none pushed out before it was read


def test_the_device_voice_says_every_instruction_in_full_and_drops_only_passed_prepares(open_app):
    page = open_app("de")
    page.evaluate(SETUP, "voice")
    page.evaluate("""() => {
      window.__passed = false;
      window.__output.say('Biegen Sie rechts ab', { kind: 'now' });
      window.__output.say('In 30 Metern: links', { kind: 'prepare', stale: () => window.__passed });
      window.__output.say('Sie betreten einen Platz', { kind: 'info' });
      window.__output.say('Achtung, Kreuzung', { kind: 'warning' });
      window.__output.say('In 40 Metern: rechts', { kind: 'prepare', stale: () => false });
      window.__passed = true;  // the walker passes the first prepare's spot while the others are said
    }""")
    page.wait_for_function("window.__spoken.length >= 4")
    page.wait_for_timeout(400)
    assert page.evaluate("window.__spoken") == ["Biegen Sie rechts ab", "Achtung, Kreuzung", "Sie betreten einen Platz",
                                                "In 40 Metern: rechts"]
    assert page.evaluate("window.__cancelled") == 0  # nothing was cut off by its neighbour


def test_server_audio_that_fails_falls_back_to_the_device_voice(open_app):
    page = open_app("de")
    page.evaluate(SETUP, "server")
    page.evaluate("""() => {
      window.__output.say('Biegen Sie links ab', { kind: 'now', audioUrl: '/api/speech-missing?x=1' });
      window.__output.say('Gehen Sie geradeaus', { kind: 'now', audioUrl: '/api/speech-missing?x=2' });
    }""")
    page.wait_for_function("window.__spoken.includes('Gehen Sie geradeaus')")
    spoken = page.evaluate("window.__spoken")
    assert spoken.index("Biegen Sie links ab") < spoken.index("Gehen Sie geradeaus")
