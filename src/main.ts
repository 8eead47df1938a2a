import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('StoryLoom needs an element with id "app" to mount into.');

export default mount(App, { target });
