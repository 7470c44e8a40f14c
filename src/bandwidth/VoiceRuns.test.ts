import t from 'tap';
import { VOICE_RUN_GAP_MS, VoiceRuns } from './VoiceRuns.js';

t.test('a run of speech is timed from its first word, through the pauses between words', (t) => {
  const runs = new VoiceRuns();
  t.equal(runs.since('hue', 0), null, 'not heard: not speaking');
  t.ok(runs.heard('hue', 1000), 'the first word starts a run');
  t.notOk(runs.heard('hue', 1250), 'the next quarter second goes on with it');
  t.notOk(runs.heard('hue', 1250 + VOICE_RUN_GAP_MS), 'a pause between words, too');
  t.equal(runs.since('hue', 2200), 1000, 'still speaking since the first word');
  t.equal(
    runs.since('hue', 1250 + VOICE_RUN_GAP_MS * 2 + 1),
    null,
    'a longer silence: no longer speaking',
  );
  t.ok(runs.heard('hue', 5000), 'the next word after a silence starts a new run');
  t.equal(runs.since('hue', 5000), 5000);
  t.equal(runs.since('hanoi', 5000), null, 'each point has its own');
  t.end();
});

t.test('the points that left are forgotten', (t) => {
  const runs = new VoiceRuns();
  runs.heard('hue', 0);
  runs.heard('hanoi', 0);
  runs.keep(new Set(['hanoi']));
  t.equal(runs.since('hue', 10), null);
  t.equal(runs.since('hanoi', 10), 0);
  t.end();
});
