import HealthCheck from './health-check';

// The demo edits this line between v1 and v2 to show that the new release is served.
const GREETING = 'Welcome to MediAI';

export default function Home() {
	return (
		<main>
			<h1>{GREETING}</h1>
			<p>
				release: <span className="release" id="release">{process.env.APP_RELEASE}</span>
			</p>
			<p>Patients, doctors and the AI avatar meet here. This page is slipway&apos;s example app.</p>
			<HealthCheck />
		</main>
	);
}
