import { saveNote } from './actions';
import QuickNote from './note-client';

export const dynamic = 'force-dynamic';

export default function Notes() {
	return (
		<main>
			<h1>Notes</h1>
			<p>release: <span id="release">{process.env.APP_RELEASE}</span></p>
			<form action={saveNote}>
				<input name="note" defaultValue="" />
				<button type="submit">Save</button>
			</form>
			<QuickNote />
		</main>
	);
}
