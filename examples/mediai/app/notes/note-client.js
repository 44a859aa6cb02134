'use client';

// Calls a Server Action from the browser (a fetch with the Next-Action header).
import { useState, useTransition } from 'react';
import { saveNoteText } from './actions';

export default function QuickNote() {
	const [state, setState] = useState('');
	const [pending, start] = useTransition();

	return (
		<p>
			<button disabled={pending} onClick={() => start(async () => setState(await saveNoteText('quick note')))}>
				Save a quick note
			</button>{' '}
			<span id="quick">{state}</span>
		</p>
	);
}
