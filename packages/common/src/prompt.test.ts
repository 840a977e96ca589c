import { describe, expect, it } from 'vitest';
import { fillPlaceholders, renderPrompt } from './prompt';

describe('fillPlaceholders', () => {
  it('fills {{name}} and dotted paths from context, leaving unknown names as written', () => {
    const ctx = { patient_name: 'Maria Lopez', appt: { time: 'tomorrow at 2pm', doctor: 'Dr. Chen' }, n: 3, list: [1, 2] };
    expect(fillPlaceholders('Hi {{patient_name}}, {{ appt.doctor }} sees you {{appt.time}}.', ctx)).toBe('Hi Maria Lopez, Dr. Chen sees you tomorrow at 2pm.');
    expect(fillPlaceholders('{{missing}} {{appt.nope}} {{n}} {{list}}', ctx)).toBe('{{missing}} {{appt.nope}} 3 [1,2]');
  });
});

describe('renderPrompt', () => {
  it('joins persona and instructions with placeholders filled, never pasting the context itself', () => {
    const prompt = renderPrompt({ persona: 'You are Ava.', instructions: 'Confirm {{patient_name}}.', context: { patient_name: 'Maria', secret_note: 'VIP' } });
    expect(prompt).toBe('You are Ava.\n\nConfirm Maria.');
    expect(prompt).not.toContain('VIP');
    expect(renderPrompt({ persona: null, instructions: ' Only this. ', context: {} })).toBe('Only this.');
    expect(renderPrompt({ persona: null, instructions: null, context: {} })).toBe('');
  });
});
