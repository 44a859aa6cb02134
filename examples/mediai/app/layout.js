import './globals.css';

export const metadata = {
	title: 'MediAI (slipway example)',
	description: 'The example app slipway packs, deploys and rolls back.',
};

// No next/font/google: the build must not fetch anything from the internet.
export default function RootLayout({ children }) {
	return (
		<html lang="en">
			<body>{children}</body>
		</html>
	);
}
