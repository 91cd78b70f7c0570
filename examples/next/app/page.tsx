// Sign in (a name, kept in the `user` cookie: replace with your auth) and open a new conversation.
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';

async function start(form: FormData) {
  'use server';
  const user = String(form.get('user') ?? '').toLowerCase();
  if (!/^[a-z0-9]{1,32}$/.test(user)) redirect('/');
  (await cookies()).set('user', user, { httpOnly: true, sameSite: 'lax', path: '/' });
  redirect(`/c/${user}-${crypto.randomUUID().slice(0, 8)}`);
}

export default function Home() {
  return (
    <form action={start}>
      <input name="user" aria-label="Your name" placeholder="your name (a-z, 0-9)" />
      <button type="submit">Start a conversation</button>
    </form>
  );
}
