'use client';

// A client component: its JavaScript is served from /_next/static, which proves
// the release ships .next/static next to the standalone server.
import { useState } from 'react';

export default function HealthCheck() {
	const [state, setState] = useState('not checked');

	async function check() {
		setState('checking');
		try {
			const res = await fetch('/api/health', { cache: 'no-store' });
			const body = await res.json();
			setState(`${res.status} ${body.status} (release ${body.release})`);
		} catch (e) {
			setState(`failed: ${e.message}`);
		}
	}

	return (
		<p>
			<button onClick={check}>Check /api/health</button> <span>{state}</span>
		</p>
	);
}
