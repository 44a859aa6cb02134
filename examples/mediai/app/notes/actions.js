'use server';

// A doctor's note, kept as one line per call in the store's shared/notes.log (next to
// shared/env, outside every release), so a test can count how often each call ran.
import { appendFile } from 'node:fs/promises';
import path from 'node:path';

function notesFile() {
	if (process.env.NOTES_LOG) return process.env.NOTES_LOG;
	// SLIPWAY_RELEASE is ROOT/releases/<version>; ROOT/shared survives every release.
	return path.join(process.env.SLIPWAY_RELEASE || '.', '..', '..', 'shared', 'notes.log');
}

async function record(how, note) {
	const text = String(note || '').replace(/[\r\n]/g, ' ').slice(0, 200);
	await appendFile(notesFile(), `${how} ${process.env.APP_RELEASE} ${text}\n`);
}

// The form's action: works without JavaScript (the $ACTION_ID_ field) and with it.
export async function saveNote(formData) {
	await record('form', formData.get('note'));
}

// Called by the client component (a Next-Action fetch).
export async function saveNoteText(note) {
	await record('call', note);
	return `saved by ${process.env.APP_RELEASE}`;
}
