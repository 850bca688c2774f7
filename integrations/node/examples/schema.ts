// The application's own table in the examples and tests: the users of an identity provider.
import { integer, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core';

export const users = pgTable('users', {
  id: serial('id').primaryKey(),
  email: text('email').notNull(),
  name: text('name'),
  status: text('status').notNull().default('active'),
  encryptedPassword: text('encrypted_password'),
  signInCount: integer('sign_in_count').notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export const usersDdl = `
  create table users (
    id serial primary key,
    email text not null,
    name text,
    status text not null default 'active',
    encrypted_password text,
    sign_in_count integer not null default 0,
    updated_at timestamptz not null default now()
  )`;
