import t from 'tap';
import { VOICE_MIN_MS, VOICE_RUN_GAP_MS, VoiceRuns } from './VoiceRuns.js';

t.test('a run of speech is timed from its first word, through the pauses between words', (t) => {
  const runs = new VoiceRuns();
  t.equal(runs.since('hue', 0), null, 'not heard: not speaking');
  t.notOk(runs.heard('hue', 1000), 'a first word is not a voice yet');
  t.equal(runs.since('hue', 1000), null, 'nor is it speaking');
  t.notOk(runs.heard('hue', 1100));
  t.ok(runs.heard('hue', 1000 + VOICE_MIN_MS), 'it has lasted: a voice, said once');
  t.notOk(runs.heard('hue', 1300), 'and not again while it goes on');
  t.notOk(runs.heard('hue', 1300 + VOICE_RUN_GAP_MS), 'a pause between words');
  t.equal(runs.since('hue', 2200), 1000, 'still speaking since the first word');
  t.equal(
    runs.since('hue', 1300 + VOICE_RUN_GAP_MS * 2 + 1),
    null,
    'a longer silence: no longer speaking',
  );
  t.notOk(runs.heard('hue', 5000), 'the next word after a silence starts a new run');
  t.ok(runs.heard('hue', 5000 + VOICE_MIN_MS), 'a voice again once it has lasted');
  t.equal(runs.since('hue', 5300), 5000);
  t.equal(runs.since('hanoi', 5000), null, 'each point has its own');
  t.end();
});

t.test('a cough is no voice', (t) => {
  const runs = new VoiceRuns();
  t.notOk(runs.heard('hue', 0));
  t.notOk(runs.heard('hue', 100));
  t.equal(runs.since('hue', 150), null, 'a tenth of a second: not speaking');
  t.notOk(runs.heard('hue', 100 + VOICE_RUN_GAP_MS + 1), 'another, after a silence');
  t.equal(runs.since('hue', 1000), null);
  t.end();
});

t.test('a run named by the detection before it is a voice is timed from its first level', (t) => {
  const runs = new VoiceRuns();
  t.equal(runs.runSince('hue', 0), null, 'not heard');
  runs.heard('hue', 1000);
  t.equal(runs.since('hue', 1100), null, 'not a voice on its own yet');
  t.equal(runs.runSince('hue', 1100), 1000, 'but its run began at its first level');
  t.equal(runs.runSince('hue', 1000 + VOICE_RUN_GAP_MS + 1), null, 'gone quiet: no run');
  t.end();
});

t.test('the points that left are forgotten', (t) => {
  const runs = new VoiceRuns();
  runs.heard('hue', 0);
  runs.heard('hue', VOICE_MIN_MS);
  runs.heard('hanoi', 0);
  runs.heard('hanoi', VOICE_MIN_MS);
  runs.keep(new Set(['hanoi']));
  t.equal(runs.since('hue', VOICE_MIN_MS), null);
  t.equal(runs.since('hanoi', VOICE_MIN_MS), 0);
  t.end();
});
